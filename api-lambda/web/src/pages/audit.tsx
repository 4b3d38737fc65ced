import { useEffect, useState } from "preact/hooks";
import { ApiError, get, query } from "../api";
import { Alert, FilterPanel, Select, dateTime, TableRegion } from "../components";
import { useFacilityNames, useTitle } from "../hooks";
import { navigate, useLocation } from "../router";
import type { AuditEvent, Page } from "../types";
import { AUDIT_KINDS, actorText, detailText } from "../audit_text";

const FILTERS = ["facility", "kind", "actor", "from", "to"] as const;

function toIso(local: string | null): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export function AuditPage() {
  useTitle("Audit log");
  const { params } = useLocation();
  const facilities = useFacilityNames();
  const [pages, setPages] = useState<Array<string | undefined>>([undefined]);
  const [page, setPage] = useState<Page<AuditEvent>>();
  const [error, setError] = useState<ApiError>();
  const key = FILTERS.map((f) => params.get(f) ?? "").join("|");
  const cursor = pages[pages.length - 1];

  useEffect(() => setPages([undefined]), [key]);
  useEffect(() => {
    let stale = false;
    get<Page<AuditEvent>>(
      `/api/v1/audit${query({
        facility_id: params.get("facility"),
        kind: params.get("kind"),
        actor: params.get("actor"),
        from: toIso(params.get("from")),
        to: toIso(params.get("to")),
        limit: 50,
        cursor,
      })}`,
    )
      .then((p) => {
        if (!stale) {
          setPage(p);
          setError(undefined);
        }
      })
      .catch((e) => !stale && setError(e));
    return () => {
      stale = true;
    };
  }, [key, cursor]);

  const [draft, setDraft] = useState<Record<string, string>>({});
  useEffect(() => setDraft(Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? ""]))), [key]);
  const set = (name: string) => (value: string) => setDraft((d) => ({ ...d, [name]: value }));
  const apply = (event: Event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const f of FILTERS) if (draft[f]) next.set(f, draft[f]);
    const text = next.toString();
    navigate(`/audit${text ? `?${text}` : ""}`, { replace: true });
  };

  return (
    <section class="page wide" aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <FilterPanel>
      <form class="filters" role="search" aria-label="Filter the audit log" onSubmit={apply}>
        <Select
          label="Facility"
          name="facility"
          value={draft.facility ?? ""}
          onChange={set("facility")}
          options={[["", "All facilities"], ...[...facilities.values()].map((f): [string, string] => [f.id, f.name])]}
        />
        <Select label="Kind" name="kind" value={draft.kind ?? ""} onChange={set("kind")} options={[["", "All kinds"], ...Object.entries(AUDIT_KINDS)]} />
        <div class="field">
          <label for="audit-actor">Actor (user:&lt;id&gt;, ae:&lt;AE title&gt; or system)</label>
          <input id="audit-actor" value={draft.actor ?? ""} onInput={(e) => set("actor")((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="audit-from">From</label>
          <input id="audit-from" type="datetime-local" value={draft.from ?? ""} onInput={(e) => set("from")((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="audit-to">Until</label>
          <input id="audit-to" type="datetime-local" value={draft.to ?? ""} onInput={(e) => set("to")((e.target as HTMLInputElement).value)} />
        </div>
        <div class="actions">
          <button type="submit" class="primary">
            Apply filters
          </button>
        </div>
      </form>
      </FilterPanel>
      {error ? <Alert>{error.message}</Alert> : null}
      <AuditTable events={page?.items ?? []} facilities={facilities} />
      <div class="actions pager">
        <button type="button" disabled={pages.length < 2} onClick={() => setPages((p) => p.slice(0, -1))}>
          Newer events
        </button>
        <button type="button" disabled={!page?.next_cursor} onClick={() => page?.next_cursor && setPages((p) => [...p, page.next_cursor ?? undefined])}>
          Older events
        </button>
      </div>
    </section>
  );
}

export function AuditTable(props: { events: AuditEvent[]; facilities: Map<string, { name: string }>; caption?: string }) {
  return (
    <TableRegion label={props.caption ?? "Audit events, newest first"}>
      <table>
        <caption class="visually-hidden">{props.caption ?? "Audit events, newest first"}</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">What</th>
            <th scope="col">Who</th>
            <th scope="col">Facility</th>
            <th scope="col">From</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {props.events.map((e) => (
            <tr key={e.id}>
              <td>{dateTime(e.at)}</td>
              <td>{AUDIT_KINDS[e.kind] ?? e.kind}</td>
              <td>{actorText(e)}</td>
              <td>{e.facility_id ? (props.facilities.get(e.facility_id)?.name ?? "—") : "—"}</td>
              <td>{e.peer_address ?? "—"}</td>
              <td>{detailText(e)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {props.events.length === 0 ? <p class="empty">No event.</p> : null}
    </TableRegion>
  );
}
