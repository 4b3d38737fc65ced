// The administrator's overview. Every figure is read from counts kept as
// things happen: daily activity by the study index (/api/v1/activity),
// refusals per hour and reason by the audit trail (/api/v1/audit/refusals).
import { query } from "../api";
import { Alert, Loading, TableRegion, dateTime } from "../components";
import { useFacilityNames, useResource, useTitle } from "../hooks";
import type { ActivityView, AuditEvent, Ban, DayCounts, Page, ReceiverView, RefusalsView } from "../types";
import { AuditTable } from "./audit";
import { BanTable } from "./security";

function sum(days: DayCounts[]): [number, number] {
  return days.reduce<[number, number]>((acc, d) => [acc[0] + d.studies, acc[1] + d.instances], [0, 0]);
}

function plural(n: number, one: string, many: string) {
  return `${n} ${n === 1 ? one : many}`;
}

function BarChart(props: { days: DayCounts[] }) {
  const max = Math.max(1, ...props.days.map((d) => d.studies));
  const width = 320;
  const height = 120;
  const bar = width / props.days.length;
  const summary = props.days.map((d) => `${d.day}: ${d.studies}`).join(", ");
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} ${height + 20}`} role="img" aria-label={`Studies received per day, last 7 days. ${summary}`}>
        {props.days.map((d, i) => {
          // Headroom above the tallest bar for its figure.
          const h = Math.round((d.studies / max) * (height - 16));
          return (
            <g key={d.day}>
              <rect x={i * bar + 6} y={height - h} width={bar - 12} height={h} class="bar" />
              {d.studies ? (
                <text x={i * bar + bar / 2} y={height - h - 4} text-anchor="middle" class="axis">
                  {d.studies}
                </text>
              ) : null}
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
  const activity = useResource<ActivityView>(`/api/v1/activity${query({ days: 7 })}`);
  const refused = useResource<RefusalsView>("/api/v1/audit/refusals");
  const recent = useResource<Page<AuditEvent>>(`/api/v1/audit${query({ limit: 10 })}`);
  const bans = useResource<Ban[]>("/api/v1/security/bans");
  const health = useResource<{ status: string }>("/healthz");
  const receivers = useResource<ReceiverView[]>("/api/v1/receivers");
  const reporting = (receivers.data ?? []).filter((r) => r.reporting && !r.draining).length;

  const days = activity.data?.days;
  const week = days ? sum(days) : undefined;
  const today = days?.[days.length - 1];
  const byFacility = new Map((activity.data?.facilities ?? []).map((f) => [f.facility_id, f.days]));
  const facilityRows = [...facilities.values()].sort((a, b) => a.name.localeCompare(b.name));

  return (
    <section class="page wide" aria-labelledby="dashboard-title">
      <h1 id="dashboard-title">Dashboard</h1>
      {activity.error ? <Alert>{activity.error.message}</Alert> : null}
      <div class="cards">
        <div class="card">
          <h2>Today (UTC)</h2>
          {today ? (
            <p class="figure" data-testid="today-studies">
              {plural(today.studies, "study", "studies")} · {plural(today.instances, "instance", "instances")}
            </p>
          ) : (
            <Loading />
          )}
        </div>
        <div class="card">
          <h2>Last 7 days</h2>
          {week ? (
            <p class="figure" data-testid="week-studies">
              {plural(week[0], "study", "studies")} · {plural(week[1], "instance", "instances")}
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
      {days ? <BarChart days={days} /> : null}
      <p class="muted">A study counts on the day its first instance arrived; an instance sent again is not counted twice.</p>
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
            {facilityRows.map((f) => {
              const days = byFacility.get(f.id) ?? [];
              const [studies, instances] = sum(days);
              const last = days[days.length - 1];
              return (
                <tr key={f.id}>
                  <td>
                    <a href={`/facilities/${f.id}`}>{f.name}</a>
                  </td>
                  <td>{last?.studies ?? 0}</td>
                  <td>{last?.instances ?? 0}</td>
                  <td>{studies}</td>
                  <td>{instances}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableRegion>
      <h2>Associations refused in the last 24 hours</h2>
      {refused.data ? (
        refused.data.reasons.length ? (
          <ul class="reasons" data-testid="refusals">
            {refused.data.reasons.map((r) => (
              <li key={r.reason}>
                <strong>{r.refusals}</strong> {r.reason.replace(/_/g, " ")}
              </li>
            ))}
          </ul>
        ) : (
          <p class="empty">None.</p>
        )
      ) : refused.error ? (
        <Alert>{refused.error.message}</Alert>
      ) : (
        <Loading />
      )}
      {refused.data ? <p class="muted">Counted by whole UTC hours since {dateTime(refused.data.since)}.</p> : null}
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
