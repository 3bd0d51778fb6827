/** Options of {@link printable}. */
export interface PrintableOptions {
  /** Leave LF as a line break (for output whose hostile values were escaped one by one). @default false */
  readonly keepLineBreaks?: boolean;
}

/**
 * `text` with C0/C1 controls, DEL, bidi controls and U+2028/U+2029 shown as visible `\uXXXX` escapes:
 * safe for a terminal, a log line and the page. The one function every output of the project uses.
 */
export declare const printable: (text: string, options?: PrintableOptions) => string;
