import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../api";
import { Alert, Loading, TextArea, bytes, dateTime, dicomDate, label, personName, TableRegion } from "../components";
import { useFacilityNames, useResource, useTitle } from "../hooks";
import { useUser } from "../session";
import type { Report, ReportVersion, StudyDetail } from "../types";
import { navigate, useLocation } from "../router";
import { NotFoundPage } from "./not_found";
import { DeleteControl } from "./study_deletion";
import { MoveControl } from "./study_move";

export function StudyPage(props: { id: string }) {
  const study = useResource<StudyDetail>(`/api/v1/studies/${props.id}`);
  const facilities = useFacilityNames();
  const admin = useUser().role === "administrator";
  const [notice, setNotice] = useState<string>();
  const moved = useLocation().params.get("moved") === "1";
  // A move opens the study at its new id on this same page: the old notice is not its.
  useEffect(() => setNotice(undefined), [props.id]);
  useTitle(study.data ? `Study of ${personName(study.data.patient_name)}` : "Study");

  if (study.error?.status === 404 || study.error?.status === 400) return <NotFoundPage />;
  if (study.error) return <Alert>{study.error.message}</Alert>;
  // After a move this page shows another id: the study loaded for the old one is not it.
  const s = study.data?.id === props.id ? study.data : undefined;
  if (!s) return <Loading />;

  return (
    <section class="page" aria-labelledby="study-title">
      <div class="page-head">
        <h1 id="study-title">
          {personName(s.patient_name)} <span class="muted">· {s.description ?? "Study"}</span>
        </h1>
        <div class="actions">
          <a class="button primary" href={`/studies/${s.id}/viewer`}>
            Open in viewer
          </a>
          <a class="button" href={`/api/v1/studies/${s.id}/archive`} download>
            Download study (zip)
          </a>
          {admin ? (
            <DeleteControl
              what="study"
              path={`/api/v1/studies/${s.id}`}
              files={s.instance_count}
              onDeleted={() => navigate("/worklist")}
            />
          ) : null}
        </div>
      </div>
      {notice ? <Alert kind="success">{notice}</Alert> : null}
      {moved ? <Alert kind="success">Moved to {facilities.get(s.facility_id)?.name ?? "its facility"}.</Alert> : null}
      <div class="columns">
        <div>
          <h2>Patient</h2>
          <dl class="facts">
            <dt>Name</dt>
            <dd data-testid="patient-name">{personName(s.patient_name)}</dd>
            <dt>Patient ID</dt>
            <dd>{s.patient_id ?? "—"}</dd>
            <dt>Birth date</dt>
            <dd>{dicomDate(s.patient_birth_date)}</dd>
            <dt>Sex</dt>
            <dd>{s.patient_sex ?? "—"}</dd>
          </dl>
        </div>
        <div>
          <h2>Study</h2>
          <dl class="facts">
            <dt>Study date</dt>
            <dd>{dicomDate(s.study_date)}</dd>
            <dt>Accession</dt>
            <dd>{s.accession_number ?? "—"}</dd>
            <dt>Referring physician</dt>
            <dd>{personName(s.referring_physician)}</dd>
            <dt>Facility</dt>
            <dd>{facilities.get(s.facility_id)?.name ?? "—"}</dd>
            <dt>Status</dt>
            <dd>{label.status[s.status]}</dd>
            <dt>Priority</dt>
            <dd>{label.priority[s.priority]}</dd>
            <dt>Received</dt>
            <dd>{dateTime(s.received_at)}</dd>
            <dt>Study instance UID</dt>
            <dd>
              <code class="uid">{s.study_instance_uid}</code>
            </dd>
          </dl>
        </div>
      </div>
      {admin ? <MoveControl studyId={s.id} facilityId={s.facility_id} facilities={facilities} /> : null}
      <h2>Series</h2>
      <TableRegion label="Series of the study">
        <table>
          <caption class="visually-hidden">Series of the study</caption>
          <thead>
            <tr>
              <th scope="col">Number</th>
              <th scope="col">Modality</th>
              <th scope="col">Description</th>
              <th scope="col">Instances</th>
              <th scope="col">Size</th>
              <th scope="col">Files</th>
              {admin ? <th scope="col">Delete</th> : null}
            </tr>
          </thead>
          <tbody>
            {s.series.map((series) => {
              const instances = s.instances
                .filter((i) => i.series_instance_uid === series.series_instance_uid)
                .sort((a, b) => (a.instance_number ?? 0) - (b.instance_number ?? 0));
              return (
                <tr key={series.series_instance_uid}>
                  <td>{series.series_number ?? "—"}</td>
                  <td>{series.modality ?? "—"}</td>
                  <td>{series.description ?? "—"}</td>
                  <td data-testid="series-instance-count">{series.instance_count}</td>
                  <td>{bytes(series.total_bytes)}</td>
                  <td>
                    <details>
                      <summary>{instances.length} files</summary>
                      <ul class="files">
                        {instances.map((i) => (
                          <li key={i.sop_instance_uid}>
                            <a href={`/api/v1/studies/${s.id}/instances/${encodeURIComponent(i.sop_instance_uid)}/file`} download>
                              Instance {i.instance_number ?? "?"} ({bytes(i.size_bytes)})
                            </a>
                          </li>
                        ))}
                      </ul>
                    </details>
                  </td>
                  {admin ? (
                    <td>
                      <DeleteControl
                        what={`series ${series.series_number ?? series.modality ?? ""}`.trim()}
                        path={`/api/v1/studies/${s.id}/series/${encodeURIComponent(series.series_instance_uid)}`}
                        files={series.instance_count}
                        onDeleted={(d) => {
                          // The study's last series takes the study with it.
                          if (d.instances >= s.instance_count) return navigate("/worklist");
                          setNotice(`Series deleted: ${d.instances} ${d.instances === 1 ? "file" : "files"} removed.`);
                          study.reload();
                        }}
                      />
                    </td>
                  ) : null}
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableRegion>
      <ReportSection studyId={s.id} onSaved={() => study.reload()} />
    </section>
  );
}

function ReportSection(props: { studyId: string; onSaved: () => void }) {
  const user = useUser();
  const canWrite = user.role !== "facility_user";
  const [report, setReport] = useState<Report | null>();
  const [text, setText] = useState("");
  const [error, setError] = useState<string>();
  const [bodyError, setBodyError] = useState<string>();
  const [conflict, setConflict] = useState<ReportVersion | null>(null);
  const [notice, setNotice] = useState<string>();
  const [busy, setBusy] = useState(false);

  const load = async () => {
    try {
      const loaded = await api<Report>("GET", `/api/v1/studies/${props.studyId}/report`);
      setReport(loaded);
      return loaded;
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        setReport(null);
        return null;
      }
      setError(e instanceof Error ? e.message : String(e));
      return undefined;
    }
  };

  useEffect(() => {
    load().then((loaded) => setText(loaded?.current?.body ?? ""));
  }, [props.studyId]);

  if (report === undefined && !error) return <Loading />;
  const current = report?.current ?? null;
  const finalised = current?.status === "final" || current?.status === "amended";

  const save = async (status: "draft" | "final") => {
    setBusy(true);
    setError(undefined);
    setBodyError(undefined);
    setNotice(undefined);
    try {
      const saved = await api<Report>("PUT", `/api/v1/studies/${props.studyId}/report`, {
        body: text,
        status,
        based_on_revision: report?.revision ?? 0,
      });
      setReport(saved);
      setConflict(null);
      setNotice(
        saved.current?.status === "draft"
          ? "Draft saved."
          : saved.current?.status === "amended"
            ? "Amendment saved."
            : "Report finalised.",
      );
      props.onSaved();
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        // Someone saved first: show theirs, keep ours in the editor.
        const latest = await load();
        setConflict(latest?.current ?? null);
      } else if (e instanceof ApiError && e.field === "body") {
        setBodyError(e.message);
      } else {
        setError(e instanceof Error ? e.message : String(e));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="report-title" class="report">
      <h2 id="report-title">Report</h2>
      {error ? <Alert>{error}</Alert> : null}
      {notice ? <Alert kind="success">{notice}</Alert> : null}
      {conflict ? (
        <Alert>
          <p>
            {conflict.author_name ?? "Another user"} saved version {conflict.version} ({conflict.status}) at{" "}
            {dateTime(conflict.created_at)} while you were editing. Your text is still in the editor; their version
            is below. Saving now records yours after theirs.
          </p>
          <pre class="report-body">{conflict.body}</pre>
        </Alert>
      ) : null}
      {current ? (
        <p class="muted" data-testid="report-status">
          Version {current.version}, {current.status}, by {current.author_name ?? "a former user"} at{" "}
          {dateTime(current.created_at)}
        </p>
      ) : (
        <p class="muted" data-testid="report-status">
          Not reported yet.
        </p>
      )}
      {canWrite ? (
        <form onSubmit={(e) => e.preventDefault()} aria-label="Report editor">
          <TextArea label={finalised ? "Amendment" : "Findings and impression"} name="body" value={text} onInput={setText} error={bodyError} />
          <div class="actions">
            {!finalised ? (
              <>
                <button type="button" disabled={busy} onClick={() => save("draft")}>
                  Save draft
                </button>
                <button type="button" class="primary" disabled={busy} onClick={() => save("final")}>
                  Finalise report
                </button>
              </>
            ) : (
              <button type="button" class="primary" disabled={busy} onClick={() => save("final")}>
                Save amendment
              </button>
            )}
          </div>
        </form>
      ) : current && finalised ? (
        <pre class="report-body" data-testid="report-body">
          {current.body}
        </pre>
      ) : null}
      {report && report.history.length ? (
        <>
          <h3>History</h3>
          <ol class="history" data-testid="report-history">
            {[...report.history].reverse().map((v) => (
              <li key={v.version} data-status={v.status}>
                <details>
                  <summary>
                    Version {v.version}: <strong>{v.status}</strong> by {v.author_name ?? "a former user"},{" "}
                    {dateTime(v.created_at)}
                    {v.finalised_at ? `, finalised ${dateTime(v.finalised_at)}` : ""}
                  </summary>
                  <pre class="report-body">{v.body}</pre>
                </details>
              </li>
            ))}
          </ol>
        </>
      ) : null}
    </section>
  );
}
