// Sending files with STOW-RS (PS3.18 10.5), one file per request so each has
// its own progress and its own answer. The browser streams each file from
// disk into the request; nothing is read whole into memory here.
import { csrfValue } from "./api";

export type Outcome =
  | { kind: "stored" }
  | { kind: "refused"; reason: number }
  | { kind: "skipped" }
  | { kind: "error"; message: string };

/** PS3.10 7.1: a Part-10 file has "DICM" after its 128-byte preamble. */
export async function isDicom(file: File): Promise<boolean> {
  if (file.size < 132) return false;
  const head = new Uint8Array(await file.slice(128, 132).arrayBuffer());
  return head[0] === 0x44 && head[1] === 0x49 && head[2] === 0x43 && head[3] === 0x4d;
}

/** STOW-RS of `file` to `{base}/studies`; `onProgress` gets the bytes sent so far. */
export function storeFile(base: string, file: File, onProgress: (sent: number) => void): Promise<Outcome> {
  const boundary = `noctis-${crypto.randomUUID()}`;
  const body = new Blob([
    `--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`,
    file,
    `\r\n--${boundary}--\r\n`,
  ]);
  return new Promise((resolve) => {
    const request = new XMLHttpRequest();
    request.open("POST", `${base}/studies`);
    request.setRequestHeader("content-type", `multipart/related; type="application/dicom"; boundary=${boundary}`);
    request.setRequestHeader("accept", "application/dicom+json");
    request.setRequestHeader("x-csrf-token", csrfValue());
    request.upload.onprogress = (event) => onProgress(Math.min(event.loaded, file.size));
    request.onerror = () => resolve({ kind: "error", message: "Noctis could not be reached." });
    request.onload = () => resolve(outcome(request.status, request.responseText));
    request.send(body);
  });
}

/** The store-instances response (PS3.18 10.5.3), or the JSON error body. */
function outcome(status: number, text: string): Outcome {
  let json: Record<string, any> = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = {};
  }
  const failed = json["00081198"]?.Value?.[0];
  if (failed) return { kind: "refused", reason: Number(failed["00081197"]?.Value?.[0] ?? 0) };
  if (status === 200 || status === 202) return { kind: "stored" };
  return { kind: "error", message: json.error?.message ?? `The server answered ${status}.` };
}

/** PS3.4 B.2.3 and PS3.18 Table 10.5.3-1: what a Failure Reason means to a person. */
export function reasonText(reason: number): string {
  const code = reason.toString(16).toUpperCase().padStart(4, "0");
  const meaning: Record<string, string> = {
    A700: "storage failed; send it again",
    A900: "the data set does not match what its file says it is",
    C000: "it cannot be read as DICOM",
    "0122": "its SOP class is not supported",
    "0124": "not authorised",
  };
  return `${meaning[code] ?? "refused"} (${code})`;
}

/** Every file of a drop, folders walked (a 500-file folder is read entry by entry). */
export async function droppedFiles(items: DataTransferItemList): Promise<File[]> {
  const entries = Array.from(items)
    .map((item) => item.webkitGetAsEntry?.())
    .filter((entry): entry is FileSystemEntry => Boolean(entry));
  const files: File[] = [];
  const walk = async (entry: FileSystemEntry): Promise<void> => {
    if (entry.isFile) {
      files.push(await new Promise<File>((ok, fail) => (entry as FileSystemFileEntry).file(ok, fail)));
      return;
    }
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    // readEntries answers in batches until it answers none.
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((ok, fail) => reader.readEntries(ok, fail));
      if (batch.length === 0) return;
      for (const child of batch) await walk(child);
    }
  };
  for (const entry of entries) await walk(entry);
  return files;
}

/** Runs `task` over `items`, `width` at a time. */
export async function inParallel<T>(items: T[], width: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}
