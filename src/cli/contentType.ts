import { extname } from 'node:path';

/**
 * Content types by extension for uploads. S3 stores what the uploader declares; the pipeline compares it
 * with the sniffed type (TYPE_MISMATCH), so the declared type must follow the file name as a browser would.
 */
const BY_EXTENSION: Readonly<Record<string, string>> = {
  '.txt': 'text/plain',
  '.log': 'text/plain',
  '.md': 'text/markdown',
  '.csv': 'text/csv',
  '.tsv': 'text/tab-separated-values',
  '.json': 'application/json',
  '.ndjson': 'application/x-ndjson',
  '.xml': 'application/xml',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.css': 'text/css',
  '.js': 'text/javascript',
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.bmp': 'image/bmp',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.ogg': 'audio/ogg',
  '.mp4': 'video/mp4',
  '.mov': 'video/quicktime',
  '.webm': 'video/webm',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
  '.tgz': 'application/gzip',
  '.tar': 'application/x-tar',
  '.7z': 'application/x-7z-compressed',
  '.rar': 'application/vnd.rar',
  '.bz2': 'application/x-bzip2',
  '.xz': 'application/x-xz',
  '.parquet': 'application/vnd.apache.parquet',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.pptx': 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  '.doc': 'application/msword',
  '.xls': 'application/vnd.ms-excel',
  '.exe': 'application/vnd.microsoft.portable-executable',
  '.dll': 'application/vnd.microsoft.portable-executable',
  '.msi': 'application/x-msi',
  '.sh': 'application/x-sh',
  '.wasm': 'application/wasm',
};

/** The fallback for unknown extensions (RFC 2046: arbitrary binary data). */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** The content type to declare for a file name, by its extension (case-insensitive). */
export const contentTypeFor = (fileName: string): string =>
  BY_EXTENSION[extname(fileName).toLowerCase()] ?? DEFAULT_CONTENT_TYPE;
