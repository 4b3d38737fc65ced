// The administrator's overview. Counts come from the worklist and the audit
// trail, each walk bounded (WALK_LIMIT rows): a figure at the bound is shown
// as "at least".
import { useEffect, useState } from "preact/hooks";
import { get, query } from "../api";
import { Alert, Loading, TableRegion, dateTime } from "../components";
import { useFacilityNames, useResource, useTitle } from "../hooks";
import type { AuditEvent, Ban, Page, ReceiverView, Study } from "../types";
import { AuditTable } from "./audit";
import { BanTable } from "./security";

const WALK_LIMIT = 5000;
const DAY = 24 * 3600 * 1000;

interface Activity {
  /** Studies first received per UTC day, oldest first, 7 days. */
  days: Array<{ day: string; studies: number; instances: number }>;
  byFacility: Map<string, { today: [number, number]; week: [number, number] }>;
  bounded: boolean;
}

async function walk<T>(path: string, params: Record<string, string | number | undefined>): Promise<[T[], boolean]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await get<Page<T>>(`${path}${query({ ...params, limit: 500, cursor })}`);
    items.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor && items.length < WALK_LIMIT);
  return [items, cursor !== undefined];
}

function utcDay(date: Date) {
  return date.toISOString().slice(0, 10);
}

async function activity(): Promise<Activity> {
  const today = new Date(`${utcDay(new Date())}T00:00:00Z`);
  const since = new Date(today.getTime() - 6 * DAY);
  const [studies, bounded] = await walk<Study>("/api/v1/studies", { from: since.toISOString() });
  const days = Array.from({ length: 7 }, (_, i) => ({ day: utcDay(new Date(since.getTime() + i * DAY)), studies: 0, instances: 0 }));
  const byFacility = new Map<string, { today: [number, number]; week: [number, number] }>();
  for (const s of studies) {
    const day = days.find((d) => d.day === s.received_at.slice(0, 10));
    if (day) {
      day.studies += 1;
      day.instances += s.instance_count;
    }
    const entry = byFacility.get(s.facility_id) ?? { today: [0, 0], week: [0, 0] };
    entry.week = [entry.week[0] + 1, entry.week[1] + s.instance_count];
    if (s.received_at.slice(0, 10) === utcDay(today)) entry.today = [entry.today[0] + 1, entry.today[1] + s.instance_count];
    byFacility.set(s.facility_id, entry);
  }
  return { days, byFacility, bounded };
}

async function refusals(): Promise<[Map<string, number>, boolean]> {
  const [events, bounded] = await walk<AuditEvent>("/api/v1/audit", {
    kind: "association_rejected",
    from: new Date(Date.now() - DAY).toISOString(),
  });
  const counts = new Map<string, number>();
  for (const e of events) {
    const reason = String((e.details as Record<string, unknown> | null)?.reason ?? "unspecified");
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  return [counts, bounded];
}

function BarChart(props: { days: Activity["days"] }) {
  const max = Math.max(1, ...props.days.map((d) => d.studies));
  const width = 320;
  const height = 120;
  const bar = width / props.days.length;
  const summary = props.days.map((d) => `${d.day}: ${d.studies}`).join(", ");
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} ${height + 20}`} role="img" aria-label={`Studies received per day, last 7 days. ${summary}`}>
        {props.days.map((d, i) => {
          const h = Math.round((d.studies / max) * height);
          return (
            <g key={d.day}>
              <rect x={i * bar + 6} y={height - h} width={bar - 12} height={h} class="bar" />
              <text x={i * bar + bar / 2} y={height + 14} text-anchor="middle" class="axis">
                {d.day.slice(5)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption>Studies received per day (UTC), last 7 days</figcaption>
    </figure>
  );
}

function receiverState(r: ReceiverView) {
  if (!r.reporting) return ["Silent", "badge off"];
  if (r.draining) return ["Draining", "badge"];
  return ["Receiving", "badge ok"];
}

function ReceiverTable(props: { receivers: ReceiverView[] }) {
  if (!props.receivers.length) return <p class="empty">No receiver has reported in the last 10 minutes.</p>;
  return (
    <TableRegion label="Receivers heard from in the last 10 minutes">
      <table>
        <caption class="visually-hidden">Receivers heard from in the last 10 minutes</caption>
        <thead>
          <tr>
            <th scope="col">Host</th>
            <th scope="col">State</th>
            <th scope="col">Open associations</th>
            <th scope="col">Last report</th>
            <th scope="col">Up since</th>
            <th scope="col">Version</th>
          </tr>
        </thead>
        <tbody>
          {props.receivers.map((r) => {
            const [text, badge] = receiverState(r);
            return (
              <tr key={r.id}>
                <td>{r.host}</td>
                <td>
                  <span class={badge}>{text}</span>
                </td>
                <td>{r.open_associations}</td>
                <td>{dateTime(r.reported_at)}</td>
                <td>{dateTime(r.started_at)}</td>
                <td>{r.version}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableRegion>
  );
}

export function DashboardPage() {
  useTitle("Dashboard");
  const facilities = useFacilityNames();
  const [data, setData] = useState<Activity>();
  const [refused, setRefused] = useState<[Map<string, number>, boolean]>();
  const [error, setError] = useState<string>();
  const recent = useResource<Page<AuditEvent>>(`/api/v1/audit${query({ limit: 10 })}`);
  const bans = useResource<Ban[]>("/api/v1/security/bans");
  const health = useResource<{ status: string }>("/healthz");
  const receivers = useResource<ReceiverView[]>("/api/v1/receivers");
  const reporting = (receivers.data ?? []).filter((r) => r.reporting && !r.draining).length;

  useEffect(() => {
    activity().then(setData).catch((e) => setError(String(e.message ?? e)));
    refusals().then(setRefused).catch((e) => setError(String(e.message ?? e)));
  }, []);

  const atLeast = (n: number, bounded: boolean) => (bounded ? `at least ${n}` : String(n));
  const totals = data?.days.reduce((acc, d) => [acc[0] + d.studies, acc[1] + d.instances], [0, 0]) ?? [0, 0];
  const todayTotals = data?.days[data.days.length - 1];

  return (
    <section class="page wide" aria-labelledby="dashboard-title">
      <h1 id="dashboard-title">Dashboard</h1>
      {error ? <Alert>{error}</Alert> : null}
      <div class="cards">
        <div class="card">
          <h2>Today</h2>
          {todayTotals ? (
            <p class="figure" data-testid="today-studies">
              {todayTotals.studies} studies · {todayTotals.instances} instances
            </p>
          ) : (
            <Loading />
          )}
        </div>
        <div class="card">
          <h2>Last 7 days</h2>
          {data ? (
            <p class="figure">
              {atLeast(totals[0], data.bounded)} studies · {totals[1]} instances
            </p>
          ) : (
            <Loading />
          )}
        </div>
        <div class="card">
          <h2>Service</h2>
          <p class="figure" data-testid="receivers-reporting">
            {receivers.data ? `${reporting} ${reporting === 1 ? "receiver" : "receivers"} receiving` : "…"}
          </p>
          <p class="muted">API {health.data ? health.data.status : health.error ? "unreachable" : "…"}</p>
        </div>
      </div>
      {data ? <BarChart days={data.days} /> : null}
      <h2>Receivers</h2>
      {receivers.data ? <ReceiverTable receivers={receivers.data} /> : receivers.error ? <Alert>{receivers.error.message}</Alert> : <Loading />}
      <h2>By facility</h2>
      <TableRegion label="Studies and instances by facility">
        <table>
          <caption class="visually-hidden">Studies and instances by facility</caption>
          <thead>
            <tr>
              <th scope="col">Facility</th>
              <th scope="col">Studies today</th>
              <th scope="col">Instances today</th>
              <th scope="col">Studies, 7 days</th>
              <th scope="col">Instances, 7 days</th>
            </tr>
          </thead>
          <tbody>
            {[...facilities.values()].map((f) => {
              const row = data?.byFacility.get(f.id);
              return (
                <tr key={f.id}>
                  <td>
                    <a href={`/facilities/${f.id}`}>{f.name}</a>
                  </td>
                  <td>{row?.today[0] ?? 0}</td>
                  <td>{row?.today[1] ?? 0}</td>
                  <td>{row?.week[0] ?? 0}</td>
                  <td>{row?.week[1] ?? 0}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableRegion>
      <h2>Associations refused in the last 24 hours</h2>
      {refused ? (
        refused[0].size ? (
          <ul class="reasons">
            {[...refused[0].entries()]
              .sort((a, b) => b[1] - a[1])
              .map(([reason, n]) => (
                <li key={reason}>
                  <strong>{atLeast(n, refused[1])}</strong> {reason.replace(/_/g, " ")}
                </li>
              ))}
          </ul>
        ) : (
          <p class="empty">None.</p>
        )
      ) : (
        <Loading />
      )}
      <h2>Active bans</h2>
      {bans.data ? <BanTable bans={bans.data} /> : <Loading />}
      <h2>Recent events</h2>
      {recent.data ? <AuditTable events={recent.data.items} facilities={facilities} caption="The ten most recent audit events" /> : <Loading />}
      <p>
        <a href="/audit">The whole audit log</a>
      </p>
    </section>
  );
}
