// Upload: DICOM files dropped or chosen (a folder too) sent to a facility with
// STOW-RS, three at a time, each with its progress and its answer. Rows are
// redrawn at most once a frame, so a 500-file folder does not freeze the page.
import { useEffect, useRef, useState } from "preact/hooks";
import { Alert, Select, TableRegion, bytes } from "../components";
import { useFacilityNames, useTitle } from "../hooks";
import { useUser } from "../session";
import { type Outcome, droppedFiles, inParallel, isDicom, reasonText, storeFile } from "../upload";

interface Item {
  file: File;
  /** The path inside a chosen folder, or the file's name. */
  name: string;
  sent: number;
  outcome: Outcome | null;
}

const AT_ONCE = 3;

export function UploadPage() {
  useTitle("Upload images");
  const user = useUser();
  const facilities = useFacilityNames();
  const own = user.role === "facility_user" ? user.facility_id : null;
  const [chosen, setChosen] = useState("");
  const facility = own ?? chosen;
  const items = useRef<Item[]>([]);
  const [, redraw] = useState(0);
  const frame = useRef(0);
  const [running, setRunning] = useState(false);
  const [dragging, setDragging] = useState(false);

  // Progress events arrive far faster than a person reads: one redraw per frame.
  const scheduleRedraw = () => {
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      redraw((n) => n + 1);
    });
  };
  useEffect(() => () => cancelAnimationFrame(frame.current), []);

  const send = async (files: File[]) => {
    if (!facility || files.length === 0) return;
    const base = `/dicomweb/facilities/${encodeURIComponent(facility)}`;
    const added: Item[] = files.map((file) => ({
      file,
      name: (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name,
      sent: 0,
      outcome: null,
    }));
    items.current = [...items.current, ...added];
    setRunning(true);
    scheduleRedraw();
    await inParallel(added, AT_ONCE, async (item) => {
      if (!(await isDicom(item.file))) {
        item.outcome = { kind: "skipped" };
      } else {
        item.outcome = await storeFile(base, item.file, (sent) => {
          item.sent = sent;
          scheduleRedraw();
        });
        item.sent = item.file.size;
      }
      scheduleRedraw();
    });
    setRunning(false);
    scheduleRedraw();
  };

  const all = items.current;
  const count = (kind: Outcome["kind"]) => all.filter((i) => i.outcome?.kind === kind).length;
  const total = all.reduce((sum, i) => sum + i.file.size, 0);
  const sent = all.reduce((sum, i) => sum + i.sent, 0);
  const done = all.filter((i) => i.outcome).length;
  const options: Array<[string, string]> = [
    ["", "Choose a facility"],
    ...[...facilities.values()].map((f): [string, string] => [f.id, f.name]),
  ];

  return (
    <section class="page" aria-labelledby="upload-title">
      <h1 id="upload-title">Upload images</h1>
      <p class="muted">
        DICOM files are stored as they are, with STOW-RS, into {own ? "your facility" : "the facility chosen"}, and
        appear in the worklist. Files that are not DICOM are skipped.
      </p>
      {own ? null : (
        <Select label="Facility" name="facility" value={chosen} onChange={setChosen} options={options} required />
      )}
      <div
        class={`dropzone${dragging ? " dragging" : ""}`}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={async (e) => {
          e.preventDefault();
          setDragging(false);
          if (e.dataTransfer) await send(await droppedFiles(e.dataTransfer.items));
        }}
      >
        <p>{facility ? "Drop files or a folder here, or" : "Choose a facility first, then drop files here, or"}</p>
        <div class="actions">
          <label class="button">
            Choose files
            <input
              type="file"
              multiple
              class="visually-hidden"
              disabled={!facility}
              onChange={(e) => {
                const input = e.target as HTMLInputElement;
                send(Array.from(input.files ?? []));
                input.value = "";
              }}
            />
          </label>
          <label class="button">
            Choose a folder
            <input
              type="file"
              class="visually-hidden"
              disabled={!facility}
              {...{ webkitdirectory: "" }}
              onChange={(e) => {
                const input = e.target as HTMLInputElement;
                send(Array.from(input.files ?? []));
                input.value = "";
              }}
            />
          </label>
        </div>
      </div>
      {all.length > 0 ? (
        <>
          <p>
            <label for="upload-total">Total</label>{" "}
            <progress id="upload-total" max={Math.max(total, 1)} value={sent} /> {bytes(sent)} of {bytes(total)}
          </p>
          <p role="status" data-testid="upload-summary">
            {running ? `${done} of ${all.length} done: ` : ""}
            {count("stored")} stored, {count("refused") + count("error")} refused, {count("skipped")} skipped
          </p>
          {count("error") > 0 && !running ? <Alert>Some files could not be sent; choose them again to retry.</Alert> : null}
          <TableRegion label="Files">
            <table>
              <caption class="visually-hidden">Files being uploaded</caption>
              <thead>
                <tr>
                  <th scope="col">File</th>
                  <th scope="col">Size</th>
                  <th scope="col">Progress</th>
                  <th scope="col">Result</th>
                </tr>
              </thead>
              <tbody>
                {all.map((item, index) => (
                  <tr key={index} data-file={item.name}>
                    <td>{item.name}</td>
                    <td>{bytes(item.file.size)}</td>
                    <td>
                      <progress aria-label={`Progress of ${item.name}`} max={Math.max(item.file.size, 1)} value={item.sent} />
                    </td>
                    <td>{resultText(item.outcome)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
        </>
      ) : null}
    </section>
  );
}

function resultText(outcome: Outcome | null): string {
  if (!outcome) return "Sending…";
  switch (outcome.kind) {
    case "stored":
      return "Stored";
    case "refused":
      return `Refused: ${reasonText(outcome.reason)}`;
    case "skipped":
      return "Skipped: not a DICOM file";
    case "error":
      return `Not sent: ${outcome.message}`;
  }
}
