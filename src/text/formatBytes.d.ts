/** `0 B`, `1023 B`, `1.5 KiB`, `12.0 MiB` (binary units, one decimal above bytes); `''` when not finite. */
export declare const formatBytes: (bytes: number) => string;
