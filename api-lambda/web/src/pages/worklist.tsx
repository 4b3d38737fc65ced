// The worklist. Filters live in the URL; new studies arrive by polling the
// first page every few seconds (no reload, no extra server state: it works the
// same on Lambda, where a held-open event stream would cost a running
// function per viewer). Arrow keys or j/k move between rows, Enter opens one.
// Sorting by receipt is the server's order, so paging follows it; the other
// columns sort the studies loaded so far, and the page says so.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, ApiError, get, query } from "../api";
import { Alert, FilterPanel, Select, dateTime, dicomDate, label, personName, type InputType, TableRegion } from "../components";
import { useFacilityNames, useTitle, useUrlFilters } from "../hooks";
import { navigate } from "../router";
import { useUser } from "../session";
import type { Page, Priority, Study, StudyStatus } from "../types";

export const POLL_MILLISECONDS = 4000;
const PAGE_SIZE = 50;

const FILTERS = ["facility", "from", "to", "modality", "status", "priority", "patient", "accession"] as const;
type SortKey = "received_at" | "patient_name" | "study_date" | "modalities" | "priority" | "status" | "facility";

type Order = "newest" | "oldest";

function apiQuery(params: URLSearchParams, order: Order, cursor?: string) {
  const day = (value: string | null, plusDays = 0) => {
    if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
    const date = new Date(`${value}T00:00:00Z`);
    date.setUTCDate(date.getUTCDate() + plusDays);
    return date.toISOString();
  };
  return query({
    facility_id: params.get("facility"),
    from: day(params.get("from")),
    // The filter's end day is included: the API's `to` is exclusive.
    to: day(params.get("to"), 1),
    modality: params.get("modality"),
    status: params.get("status"),
    priority: params.get("priority"),
    patient: params.get("patient"),
    accession: params.get("accession"),
    order: order === "oldest" ? order : undefined,
    limit: PAGE_SIZE,
    cursor,
  });
}

const PRIORITY_RANK: Record<Priority, number> = { stat: 0, urgent: 1, routine: 2 };

export function WorklistPage() {
  useTitle("Worklist");
  const user = useUser();
  const [params, setParam] = useUrlFilters("/worklist");
  const facilities = useFacilityNames();
  const [rows, setRows] = useState<Study[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  // The poll reads it without restarting whenever a page loads.
  const cursorRef = useRef<string | null>(null);
  cursorRef.current = cursor;
  const [error, setError] = useState<ApiError>();
  const [loaded, setLoaded] = useState(false);
  const [arrived, setArrived] = useState(0);
  const [selected, setSelected] = useState(0);
  const tableRef = useRef<HTMLTableSectionElement>(null);
  const filterKey = FILTERS.map((f) => params.get(f) ?? "").join("|");
  const sort = (params.get("sort") as SortKey) ?? "received_at";
  const descending = (params.get("dir") ?? (sort === "received_at" ? "desc" : "asc")) === "desc";
  const order: Order = sort === "received_at" && !descending ? "oldest" : "newest";
  const loadKey = `${filterKey}|${order}`;
  const canChange = user.role !== "facility_user";

  // First page whenever the filters change.
  useEffect(() => {
    let stale = false;
    setLoaded(false);
    get<Page<Study>>(`/api/v1/studies${apiQuery(params, order)}`)
      .then((page) => {
        if (stale) return;
        setRows(page.items);
        setCursor(page.next_cursor ?? null);
        setError(undefined);
        setArrived(0);
        setSelected(0);
      })
      .catch((e) => !stale && setError(e))
      .finally(() => !stale && setLoaded(true));
    return () => {
      stale = true;
    };
  }, [loadKey]);

  // New and changed studies, without a reload.
  useEffect(() => {
    const timer = window.setInterval(async () => {
      if (document.hidden) return;
      try {
        // Arrivals are the newest studies, whichever order the view is in.
        const page = await get<Page<Study>>(`/api/v1/studies${apiQuery(params, "newest")}`);
        setRows((current) => {
          const known = new Map(current.map((s) => [s.id, s]));
          const fresh = page.items.filter((s) => !known.has(s.id));
          for (const s of page.items) known.set(s.id, s);
          if (fresh.length) setArrived((n) => n + fresh.length);
          const updated = current.map((s) => known.get(s.id) ?? s);
          if (order === "newest") return [...fresh, ...updated];
          // Oldest first, they belong after the last page: shown once it is loaded.
          return cursorRef.current ? updated : [...updated, ...fresh.reverse()];
        });
      } catch {
        // The next poll tries again; a lasting failure shows on the next action.
      }
    }, POLL_MILLISECONDS);
    return () => window.clearInterval(timer);
  }, [loadKey]);

  const more = async () => {
    if (!cursor) return;
    try {
      const page = await get<Page<Study>>(`/api/v1/studies${apiQuery(params, order, cursor)}`);
      setRows((current) => {
        const known = new Set(current.map((s) => s.id));
        return [...current, ...page.items.filter((s) => !known.has(s.id))];
      });
      setCursor(page.next_cursor ?? null);
    } catch (e) {
      setError(e as ApiError);
    }
  };

  const sorted = useMemo(() => {
    // The server's order already; sorting again would only move equal keys.
    if (sort === "received_at") return rows;
    const value = (s: Study): string | number => {
      switch (sort) {
        case "patient_name":
          return (s.patient_name ?? "").toLowerCase();
        case "study_date":
          return `${s.study_date ?? ""}${s.study_time ?? ""}`;
        case "modalities":
          return s.modalities.join(",");
        case "priority":
          return PRIORITY_RANK[s.priority];
        case "status":
          return s.status;
        case "facility":
          return (facilities.get(s.facility_id)?.name ?? "").toLowerCase();
        default:
          return s.received_at;
      }
    };
    const out = [...rows];
    out.sort((a, b) => {
      const [x, y] = [value(a), value(b)];
      const order = x < y ? -1 : x > y ? 1 : 0;
      return descending ? -order : order;
    });
    return out;
  }, [rows, sort, descending, facilities]);

  const sortBy = (key: SortKey) => {
    if (key === sort) setParam({ dir: descending ? "asc" : "desc" });
    else setParam({ sort: key === "received_at" ? "" : key, dir: "" });
  };

  const change = async (study: Study, body: { status?: StudyStatus; priority?: Priority }) => {
    try {
      const updated = await api<Study>("PATCH", `/api/v1/studies/${study.id}`, body);
      setRows((current) => current.map((s) => (s.id === updated.id ? updated : s)));
    } catch (e) {
      setError(e as ApiError);
    }
  };

  const onKey = (event: KeyboardEvent) => {
    const target = event.target as HTMLElement;
    // A focused link or field does its own thing with the key.
    if (target.tagName === "SELECT" || target.tagName === "INPUT" || target.tagName === "A") return;
    const last = sorted.length - 1;
    if (event.key === "ArrowDown" || event.key === "j") setSelected((i) => Math.min(last, i + 1));
    else if (event.key === "ArrowUp" || event.key === "k") setSelected((i) => Math.max(0, i - 1));
    else if (event.key === "Enter" && sorted[selected]) navigate(`/studies/${sorted[selected].id}`);
    else if (event.key === "v" && sorted[selected]) navigate(`/studies/${sorted[selected].id}/viewer`);
    else return;
    event.preventDefault();
  };

  useEffect(() => {
    const row = tableRef.current?.querySelectorAll("tr")[selected] as HTMLElement | undefined;
    if (row && tableRef.current?.contains(document.activeElement)) row.focus();
  }, [selected]);

  const header = (key: SortKey, text: string) => (
    <th scope="col" aria-sort={sort === key ? (descending ? "descending" : "ascending") : "none"}>
      <button type="button" class="sort" onClick={() => sortBy(key)}>
        {text}
        <span aria-hidden="true">{sort === key ? (descending ? " ▼" : " ▲") : ""}</span>
      </button>
    </th>
  );

  return (
    <section class="page wide" aria-labelledby="worklist-title">
      <div class="page-head">
        <h1 id="worklist-title">Worklist</h1>
        <p class="muted" aria-live="polite" data-testid="arrivals">
          {arrived ? `${arrived} new ${arrived === 1 ? "study" : "studies"} since you opened this view` : ""}
        </p>
      </div>
      <FilterPanel>
        <WorklistFilters params={params} facilities={[...facilities.values()]} showFacility={user.role !== "facility_user"} onApply={setParam} />
      </FilterPanel>
      {error ? <Alert>{error.message}</Alert> : null}
      <TableRegion label="Studies">
        <table class="worklist" onKeyDown={onKey}>
          <caption class="visually-hidden">
            Studies, {descending ? "descending" : "ascending"} by {sort.replace("_", " ")}. Arrow keys move between rows;
            Enter opens the study, V opens it in the viewer.
          </caption>
          <thead>
            <tr>
              {header("priority", "Priority")}
              {header("patient_name", "Patient")}
              <th scope="col">Patient ID</th>
              {header("study_date", "Study date")}
              {header("modalities", "Modality")}
              <th scope="col">Description</th>
              <th scope="col">Accession</th>
              {user.role !== "facility_user" ? header("facility", "Facility") : null}
              <th scope="col">Images</th>
              {header("status", "Status")}
              {header("received_at", "Received")}
            </tr>
          </thead>
          <tbody ref={tableRef}>
            {sorted.map((s, i) => (
              <tr
                key={s.id}
                tabIndex={i === selected ? 0 : -1}
                class={[i === selected ? "selected" : "", `priority-${s.priority}`].join(" ")}
                onFocus={() => setSelected(i)}
                data-study-uid={s.study_instance_uid}
              >
                <td>
                  <Choice
                    label={`Priority of ${personName(s.patient_name)}'s study`}
                    value={s.priority}
                    choices={label.priority}
                    editable={canChange}
                    badge={`priority-${s.priority}`}
                    onChange={(priority) => change(s, { priority: priority as Priority })}
                  />
                </td>
                <td>
                  <a href={`/studies/${s.id}`}>{personName(s.patient_name)}</a>
                </td>
                <td>{s.patient_id ?? "—"}</td>
                <td>{dicomDate(s.study_date)}</td>
                <td>{s.modalities.join(", ") || "—"}</td>
                <td>{s.description ?? "—"}</td>
                <td>{s.accession_number ?? "—"}</td>
                {user.role !== "facility_user" ? <td>{facilities.get(s.facility_id)?.name ?? "—"}</td> : null}
                <td>
                  {s.instance_count}{" "}
                  <a class="view-link" href={`/studies/${s.id}/viewer`} aria-label={`View ${personName(s.patient_name)}'s study in the viewer`}>
                    View
                  </a>
                </td>
                <td>
                  <Choice
                    label={`Status of ${personName(s.patient_name)}'s study`}
                    value={s.status}
                    choices={label.status}
                    editable={canChange}
                    onChange={(status) => change(s, { status: status as StudyStatus })}
                  />
                </td>
                <td>{dateTime(s.received_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {loaded && rows.length === 0 ? <p class="empty">No study matches these filters yet. New ones appear here as they arrive.</p> : null}
      </TableRegion>
      {cursor && sort !== "received_at" ? (
        <p class="muted" data-testid="sort-scope">
          Sorted among the {rows.length} studies loaded; more follow by time received.
        </p>
      ) : null}
      {cursor ? (
        <div class="actions">
          <button type="button" onClick={more}>
            {order === "oldest" ? "Load newer studies" : "Load older studies"}
          </button>
        </div>
      ) : null}
    </section>
  );
}

/** A study's priority or status: a choice for those who may change it, a badge for the rest. */
function Choice(props: {
  label: string;
  value: string;
  choices: Record<string, string>;
  editable: boolean;
  badge?: string;
  onChange: (value: string) => void;
}) {
  if (!props.editable) return <span class={`badge ${props.badge ?? ""}`}>{props.choices[props.value]}</span>;
  return (
    <select aria-label={props.label} value={props.value} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}>
      {Object.entries(props.choices).map(([value, text]) => (
        <option key={value} value={value}>
          {text}
        </option>
      ))}
    </select>
  );
}

function WorklistFilters(props: {
  params: URLSearchParams;
  facilities: Array<{ id: string; name: string }>;
  showFacility: boolean;
  onApply: (changes: Record<string, string>) => void;
}) {
  const initial = () => Object.fromEntries(FILTERS.map((f) => [f, props.params.get(f) ?? ""]));
  const [draft, setDraft] = useState<Record<string, string>>(initial);
  const key = FILTERS.map((f) => props.params.get(f) ?? "").join("|");
  useEffect(() => setDraft(initial()), [key]);
  const set = (name: string) => (value: string) => setDraft((d) => ({ ...d, [name]: value }));
  const input = (name: string, text: string, type: InputType = "text") => (
    <div class="field">
      <label for={`filter-${name}`}>{text}</label>
      <input id={`filter-${name}`} name={name} type={type as "text"} value={draft[name]} onInput={(e) => set(name)((e.target as HTMLInputElement).value)} />
    </div>
  );
  return (
    <form
      class="filters"
      role="search"
      aria-label="Filter the worklist"
      onSubmit={(e) => {
        e.preventDefault();
        props.onApply(draft);
      }}
    >
      {props.showFacility ? (
        <Select
          label="Facility"
          name="facility"
          value={draft.facility}
          onChange={set("facility")}
          options={[["", "All facilities"], ...props.facilities.map((f): [string, string] => [f.id, f.name])]}
        />
      ) : null}
      {input("from", "Received from", "date")}
      {input("to", "Received until", "date")}
      {input("modality", "Modality")}
      <Select label="Status" name="status" value={draft.status} onChange={set("status")} options={[["", "Any status"], ...Object.entries(label.status)]} />
      <Select label="Priority" name="priority" value={draft.priority} onChange={set("priority")} options={[["", "Any priority"], ...Object.entries(label.priority)]} />
      {input("patient", "Patient name or ID", "search")}
      {input("accession", "Accession number", "search")}
      <div class="actions">
        <button type="submit" class="primary">
          Apply filters
        </button>
        <button type="button" onClick={() => props.onApply(Object.fromEntries(FILTERS.map((f) => [f, ""])))}>
          Clear
        </button>
      </div>
    </form>
  );
}
