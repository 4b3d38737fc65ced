// Deleting a study or one of its series: administrators only, confirmed in
// place with what goes named, because it cannot be undone from the console.
import { useState } from "preact/hooks";
import { api } from "../api";
import { Alert } from "../components";
import type { Deletion } from "../types";

export function DeleteControl(props: {
  /** What the button deletes, as a person reads it: "study", "series 2". */
  what: string;
  path: string;
  files: number;
  onDeleted: (deletion: Deletion) => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const remove = async () => {
    setBusy(true);
    setError(undefined);
    try {
      props.onDeleted(await api<Deletion>("DELETE", props.path));
      setConfirming(false);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  if (!confirming) {
    return (
      <button type="button" class="button danger" onClick={() => setConfirming(true)}>
        Delete {props.what}
      </button>
    );
  }
  return (
    <div role="group" aria-label={`Confirm deleting the ${props.what}`} class="confirm">
      {error ? <Alert>{error}</Alert> : null}
      <p>
        Delete the {props.what}? Its {props.files} {props.files === 1 ? "file is" : "files are"} removed from storage
        and the audit trail records it.
      </p>
      <button type="button" class="button danger" disabled={busy} onClick={remove}>
        Delete permanently
      </button>
      <button type="button" class="button" disabled={busy} onClick={() => setConfirming(false)}>
        Cancel
      </button>
    </div>
  );
}
