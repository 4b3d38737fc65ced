// Moving a study received under the wrong facility to the right one:
// administrators only. The study's id changes with its facility, so the
// page follows it to its new address.
import { useState } from "preact/hooks";
import { api } from "../api";
import { Alert, Select } from "../components";
import { navigate } from "../router";
import type { FacilityEntry, Study } from "../types";

export function MoveControl(props: { studyId: string; facilityId: string; facilities: Map<string, FacilityEntry> }) {
  const others = [...props.facilities.values()].filter((f) => f.id !== props.facilityId);
  const [to, setTo] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  if (others.length === 0) return null;

  const move = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const moved = await api<Study>("POST", `/api/v1/studies/${props.studyId}/move`, { facility_id: to });
      navigate(`/studies/${moved.id}?moved=1`);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      class="move"
      aria-label="Move the study to another facility"
      onSubmit={(event) => {
        event.preventDefault();
        if (to) move();
      }}
    >
      {error ? <Alert>{error}</Alert> : null}
      <Select
        label="Move to facility"
        name="facility_id"
        value={to}
        onChange={setTo}
        options={[["", "Choose a facility"], ...others.map((f): [string, string] => [f.id, f.name])]}
      />
      <button type="submit" class="button" disabled={busy || !to}>
        Move study
      </button>
    </form>
  );
}
