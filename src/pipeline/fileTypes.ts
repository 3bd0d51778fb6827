/**
 * The one table of what a file-name extension claims about its content, used for TYPE_MISMATCH.
 *
 * `sniffed` lists the `file-type` extensions the bytes may have (several: `file-type` reports Office
 * files read from the first 4,100 bytes as `zip`, a `.msi` or `.doc` as `cfb`, MP4 brands separately).
 * `text` says the content may be text `file-type` does not know (csv, json…) and which type that text
 * is recorded as. Extensions absent from the table claim nothing: only size and blocked-type rules apply.
 */

/** What one extension claims. */
export interface ClaimedType {
  /** `file-type` extensions the content may sniff as. */
  readonly sniffed: readonly string[];
  /** Plain text is valid content; the MIME type and extension recorded for it. */
  readonly text?: { readonly mime: string; readonly ext: string };
  /**
   * `file-type` cannot always recognise this format from the first bytes, so unknown binary content is
   * not evidence of a mismatch.
   */
  readonly weakMagic?: boolean;
}

const claim = (sniffed: readonly string[], extra: Omit<ClaimedType, 'sniffed'> = {}): ClaimedType => ({
  sniffed,
  ...extra,
});
const text = (mime: string, ext: string, sniffed: readonly string[] = []): ClaimedType => ({
  sniffed: [...sniffed, ...TEXT_FORMATS_FILE_TYPE_KNOWS],
  text: { mime, ext },
});

/** Text formats `file-type` recognises by their first bytes; any text extension may hold them. */
const TEXT_FORMATS_FILE_TYPE_KNOWS = ['xml', 'ics', 'vcf', 'vtt'] as const;

/**
 * Everything `file-type` reports for ZIP containers: a `.zip` may be any of them, and each is an archive
 * whose central directory the policy inspects.
 */
export const ZIP_FAMILY = [
  'zip',
  'docx',
  'docm',
  'dotx',
  'dotm',
  'xlsx',
  'xlsm',
  'xltx',
  'xltm',
  'pptx',
  'pptm',
  'potx',
  'potm',
  'ppsx',
  'ppsm',
  'vsdx',
  'odt',
  'ods',
  'odp',
  'odg',
  'ott',
  'ots',
  'otp',
  'otg',
  'epub',
  'jar',
  'apk',
  'xpi',
  '3mf',
] as const;

/** A ZIP-based format: its own sniffed name, or plain `zip` when the first bytes do not tell. */
const zipBased = (ext: string): ClaimedType => claim([ext, 'zip']);

/** ISO base media (MP4 family): `file-type` names the brand, which rarely matches the extension. */
const ISO_BMFF = [
  'mp4',
  'm4v',
  'm4a',
  'm4b',
  'm4p',
  'mov',
  '3gp',
  '3g2',
  'f4v',
  'f4a',
  'f4b',
  'f4p',
] as const;

/** Extension (lower case, without the dot) → what it claims. */
export const EXTENSION_TYPES: Readonly<Record<string, ClaimedType>> = {
  // images
  jpg: claim(['jpg']),
  jpeg: claim(['jpg']),
  jpe: claim(['jpg']),
  jfif: claim(['jpg']),
  png: claim(['png', 'apng']),
  apng: claim(['apng', 'png']),
  gif: claim(['gif']),
  webp: claim(['webp']),
  bmp: claim(['bmp']),
  tif: claim(['tif', 'dng', 'cr2', 'nef', 'arw', 'orf']),
  tiff: claim(['tif', 'dng', 'cr2', 'nef', 'arw', 'orf']),
  ico: claim(['ico', 'cur']),
  heic: claim(['heic', 'avif']),
  heif: claim(['heic', 'avif']),
  avif: claim(['avif', 'heic']),
  psd: claim(['psd']),
  jxl: claim(['jxl']),
  svg: text('image/svg+xml', 'svg'),
  // documents
  pdf: claim(['pdf']),
  rtf: claim(['rtf']),
  ps: claim(['ps', 'eps']),
  eps: claim(['eps', 'ps']),
  // A compound file is `doc` or `msi` when its root CLSID is known and within the bytes read (cfbClass.ts).
  doc: claim(['cfb', 'doc']),
  xls: claim(['cfb']),
  ppt: claim(['cfb']),
  msg: claim(['cfb']),
  docx: zipBased('docx'),
  docm: zipBased('docm'),
  dotx: zipBased('dotx'),
  dotm: zipBased('dotm'),
  xlsx: zipBased('xlsx'),
  xlsm: zipBased('xlsm'),
  xltx: zipBased('xltx'),
  xltm: zipBased('xltm'),
  pptx: zipBased('pptx'),
  pptm: zipBased('pptm'),
  potx: zipBased('potx'),
  potm: zipBased('potm'),
  ppsx: zipBased('ppsx'),
  ppsm: zipBased('ppsm'),
  vsdx: zipBased('vsdx'),
  odt: zipBased('odt'),
  ods: zipBased('ods'),
  odp: zipBased('odp'),
  odg: zipBased('odg'),
  ott: zipBased('ott'),
  ots: zipBased('ots'),
  otp: zipBased('otp'),
  otg: zipBased('otg'),
  epub: zipBased('epub'),
  '3mf': zipBased('3mf'),
  // archives
  zip: claim(ZIP_FAMILY),
  jar: zipBased('jar'),
  apk: claim(['apk', 'jar', 'zip']),
  xpi: zipBased('xpi'),
  gz: claim(['gz', 'tar.gz']),
  tgz: claim(['gz', 'tar.gz']),
  tar: claim(['tar']),
  bz2: claim(['bz2']),
  '7z': claim(['7z']),
  rar: claim(['rar']),
  xz: claim(['xz']),
  zst: claim(['zst']),
  lz4: claim(['lz4']),
  // audio / video
  mp3: claim(['mp3', 'mp2', 'mp1'], { weakMagic: true }),
  aac: claim(['aac'], { weakMagic: true }),
  wav: claim(['wav']),
  flac: claim(['flac']),
  ogg: claim(['ogg', 'oga', 'ogv', 'opus', 'spx', 'ogm', 'ogx']),
  oga: claim(['oga', 'ogg', 'opus', 'spx']),
  opus: claim(['opus', 'ogg', 'oga']),
  mp4: claim(ISO_BMFF),
  m4v: claim(ISO_BMFF),
  m4a: claim(ISO_BMFF),
  mov: claim(ISO_BMFF),
  '3gp': claim(ISO_BMFF),
  webm: claim(['webm', 'mkv']),
  mkv: claim(['mkv', 'webm']),
  avi: claim(['avi']),
  mpg: claim(['mpg', 'mp2'], { weakMagic: true }),
  mpeg: claim(['mpg', 'mp2'], { weakMagic: true }),
  flv: claim(['flv']),
  // fonts
  woff: claim(['woff']),
  woff2: claim(['woff2']),
  ttf: claim(['ttf']),
  otf: claim(['otf']),
  // executables and installers (also listed in the default blocked types)
  exe: claim(['exe']),
  dll: claim(['exe']),
  scr: claim(['exe']),
  sys: claim(['exe']),
  msi: claim(['cfb', 'msi']),
  msp: claim(['cfb']),
  elf: claim(['elf']),
  so: claim(['elf']),
  dylib: claim(['macho']),
  dmg: claim(['dmg'], { weakMagic: true }),
  deb: claim(['deb', 'ar']),
  rpm: claim(['rpm']),
  class: claim(['class']),
  swf: claim(['swf']),
  cab: claim(['cab']),
  wasm: claim(['wasm']),
  // data
  sqlite: claim(['sqlite']),
  parquet: claim(['parquet']),
  avro: claim(['avro']),
  // text
  txt: text('text/plain', 'txt'),
  text: text('text/plain', 'txt'),
  log: text('text/plain', 'txt'),
  csv: text('text/csv', 'csv'),
  tsv: text('text/tab-separated-values', 'tsv'),
  json: text('application/json', 'json'),
  geojson: text('application/geo+json', 'geojson'),
  ndjson: text('application/x-ndjson', 'ndjson'),
  jsonl: text('application/jsonl', 'jsonl'),
  md: text('text/markdown', 'md'),
  markdown: text('text/markdown', 'md'),
  yaml: text('application/yaml', 'yaml'),
  yml: text('application/yaml', 'yaml'),
  xml: text('application/xml', 'xml'),
  html: text('text/html', 'html'),
  htm: text('text/html', 'html'),
  ics: text('text/calendar', 'ics'),
  vcf: text('text/vcard', 'vcf'),
  vtt: text('text/vtt', 'vtt'),
  sql: text('application/sql', 'sql'),
  // scripts: text; their content may also be recognised as a script kind (scriptKind.ts)
  sh: text('text/x-shellscript', 'sh'),
  bash: text('text/x-shellscript', 'sh'),
  py: text('text/x-python', 'py'),
  js: text('text/javascript', 'js'),
  bat: text('application/x-bat', 'bat'),
  cmd: text('application/x-bat', 'bat'),
  ps1: text('application/x-powershell', 'ps1'),
  psm1: text('application/x-powershell', 'ps1'),
  vbs: text('text/vbscript', 'vbs'),
  hta: text('application/hta', 'hta'),
};

/** Plain text with no extension the table knows. */
export const PLAIN_TEXT = { mime: 'text/plain', ext: 'txt' } as const;

/**
 * The extension of an object key: the part after the last dot of the last path segment, lower case.
 * `undefined` for no extension, a hidden file (`.env`) or a trailing dot.
 */
export const extensionOf = (key: string): string | undefined => {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1) return undefined;
  return name.slice(dot + 1).toLowerCase();
};

/** What the key's extension claims, or `undefined` when the table does not know the extension. */
export const claimedTypeOf = (key: string): { extension: string; claim: ClaimedType } | undefined => {
  const extension = extensionOf(key);
  if (extension === undefined) return undefined;
  const found = Object.hasOwn(EXTENSION_TYPES, extension) ? EXTENSION_TYPES[extension] : undefined;
  return found ? { extension, claim: found } : undefined;
};

/** The MIME type and extension recorded for text content stored under `key`. */
export const textTypeFor = (key: string): { mime: string; ext: string } =>
  claimedTypeOf(key)?.claim.text ?? PLAIN_TEXT;
