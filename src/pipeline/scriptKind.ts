/**
 * Scripts `file-type` does not recognise (they are text), told by their content: a shebang line, and the
 * opening lines of batch, PowerShell and VBScript files, and an HTA's `<hta:application>` tag.
 *
 * Decision: only strong signals, and (except the HTA tag) only in the first lines, so that a note or a
 * README quoting a command is not a script. A script without them is still caught by its key's extension
 * (`.bat`, `.ps1`…) in the blocked list.
 */

/** A script kind: the extension and MIME type recorded for it. */
export interface ScriptKind {
  readonly ext: string;
  readonly mime: string;
}

/** Kinds by extension. */
export const SCRIPT_KINDS = {
  sh: { ext: 'sh', mime: 'text/x-shellscript' },
  py: { ext: 'py', mime: 'text/x-python' },
  pl: { ext: 'pl', mime: 'text/x-perl' },
  rb: { ext: 'rb', mime: 'text/x-ruby' },
  js: { ext: 'js', mime: 'text/javascript' },
  bat: { ext: 'bat', mime: 'application/x-bat' },
  ps1: { ext: 'ps1', mime: 'application/x-powershell' },
  vbs: { ext: 'vbs', mime: 'text/vbscript' },
  hta: { ext: 'hta', mime: 'application/hta' },
} as const satisfies Record<string, ScriptKind>;

/** Lines examined for batch, PowerShell and VBScript openings. */
const OPENING_LINES = 10;

/** Shebang interpreter (the program, or the one after `env`) → kind; other interpreters count as shell. */
const INTERPRETERS: readonly [RegExp, ScriptKind][] = [
  [/^python/, SCRIPT_KINDS.py],
  [/^perl/, SCRIPT_KINDS.pl],
  [/^ruby/, SCRIPT_KINDS.rb],
  [/^(node|nodejs|deno|bun)$/, SCRIPT_KINDS.js],
  [/^pwsh|^powershell/, SCRIPT_KINDS.ps1],
];

const shebangKind = (firstLine: string): ScriptKind => {
  const words = firstLine.slice(2).trim().split(/\s+/);
  let program = (words[0] ?? '').split('/').pop() ?? '';
  if (program === 'env') program = words.find((w, i) => i > 0 && !w.startsWith('-')) ?? '';
  return INTERPRETERS.find(([pattern]) => pattern.test(program))?.[1] ?? SCRIPT_KINDS.sh;
};

const BATCH =
  /^(@?echo\s+(off|on)\b|@rem\b|rem\s|::|setlocal\b|@setlocal\b|goto\s+:?\w+|if\s+(not\s+)?exist\s)/i;
const POWERSHELL =
  /^(#requires\s+-|\[cmdletbinding\(|param\s*\(|set-strictmode\b|\$erroractionpreference\s*=|import-module\s)/i;
/** A cmdlet call as scripts write it (`Invoke-WebRequest -Uri …`): not "Get-together on Friday". */
const CMDLET =
  /^(Get|Set|New|Invoke|Write|Start|Stop|Remove|Add|Import|Export|Out|Test|Copy|Move)-[A-Z][A-Za-z]+(\s+(-[A-Za-z]|\$|"|'|\|)|\s*$)/;
const VBSCRIPT =
  /^(option\s+explicit\b|on\s+error\s+resume\s+next\b|set\s+\w+\s*=\s*(wscript\.)?createobject\s*\(|wscript\.\w+|dim\s+\w+(\s*,\s*\w+)*\s*$)/i;
const HTA = /<hta:application\b/i;

/** The script kind of a text, or `undefined` when it does not look like one. */
export const scriptKindOf = (text: string): ScriptKind | undefined => {
  const body = text.replace(/^\uFEFF/, '');
  if (body.startsWith('#!')) return shebangKind(body.slice(0, body.indexOf('\n') >>> 0));
  if (HTA.test(body)) return SCRIPT_KINDS.hta;
  const lines = body
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(0, OPENING_LINES);
  if (lines.some((l) => BATCH.test(l))) return SCRIPT_KINDS.bat;
  if (lines.some((l) => POWERSHELL.test(l) || CMDLET.test(l))) return SCRIPT_KINDS.ps1;
  if (lines.some((l) => VBSCRIPT.test(l))) return SCRIPT_KINDS.vbs;
  return undefined;
};
