import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { Alert, Confirm, Field, Loading, bytes, dateTime, formErrors, noErrors, type FormErrors } from "../components";
import { useResource, useTitle } from "../hooks";
import { useLocation } from "../router";
import type { Facility, FacilityStats } from "../types";
import { FacilityDetailFields, detailsBody, detailsOf } from "./facility_fields";

export function FacilityPage(props: { id: string }) {
  const facility = useResource<Facility>(`/api/v1/facilities/${props.id}`);
  const stats = useResource<FacilityStats>(`/api/v1/facilities/${props.id}/stats`);
  const { params } = useLocation();
  const [confirming, setConfirming] = useState(false);
  useTitle(facility.data?.name ?? "Facility");

  if (facility.error) {
    return (
      <section class="page">
        <h1>Facility</h1>
        <Alert>{facility.error.status === 404 ? "No such facility." : facility.error.message}</Alert>
      </section>
    );
  }
  const f = facility.data;
  if (!f) return <Loading />;

  const toggle = async () => {
    facility.set(await api<Facility>("POST", `/api/v1/facilities/${f.id}/${f.active ? "deactivate" : "activate"}`));
  };

  return (
    <section class="page" aria-labelledby="facility-title">
      <div class="page-head">
        <h1 id="facility-title">{f.name}</h1>
        <div class="actions">
          <a class="button" href={`/facilities/${f.id}/sheet`}>
            DICOM configuration sheet
          </a>
          <button type="button" class={f.active ? "danger" : "primary"} onClick={() => setConfirming(true)}>
            {f.active ? "Deactivate" : "Activate"}
          </button>
        </div>
      </div>
      {params.get("registered") ? (
        <Alert kind="success">
          Registered. Its modalities call Noctis with the AE title <strong data-testid="registered-ae-title">{f.ae_title}</strong>.
        </Alert>
      ) : null}
      <dl class="facts">
        <dt>Calling AE title</dt>
        <dd>
          <code data-testid="facility-ae-title">{f.ae_title}</code>
        </dd>
        <dt>Status</dt>
        <dd>
          <span class={f.active ? "badge ok" : "badge off"}>{f.active ? "Active" : "Inactive: associations refused"}</span>
        </dd>
        <dt>Registered</dt>
        <dd>{dateTime(f.created_at)}</dd>
      </dl>
      <h2>Statistics</h2>
      {stats.data ? (
        <dl class="stats">
          <div>
            <dt>Studies</dt>
            <dd>{stats.data.studies}</dd>
          </div>
          <div>
            <dt>Instances</dt>
            <dd>{stats.data.instances}</dd>
          </div>
          <div>
            <dt>Stored</dt>
            <dd>{bytes(stats.data.bytes)}</dd>
          </div>
          <div>
            <dt>Associations accepted (30 days)</dt>
            <dd>{stats.data.associations_accepted}</dd>
          </div>
          <div>
            <dt>Associations refused (30 days)</dt>
            <dd>{stats.data.associations_rejected}</dd>
          </div>
          <div>
            <dt>Last received</dt>
            <dd>{dateTime(stats.data.last_received_at)}</dd>
          </div>
        </dl>
      ) : stats.error ? (
        <Alert>{stats.error.message}</Alert>
      ) : (
        <Loading />
      )}
      <h2>Details</h2>
      <FacilityForm facility={f} onSaved={facility.set} />
      {confirming ? (
        <Confirm
          title={f.active ? `Deactivate ${f.name}?` : `Activate ${f.name}?`}
          confirmLabel={f.active ? "Deactivate facility" : "Activate facility"}
          danger={f.active}
          onConfirm={toggle}
          onClose={() => setConfirming(false)}
        >
          {f.active ? (
            <p>
              Its modalities will be refused from their next association (calling AE title <code>{f.ae_title}</code>{" "}
              not recognised), within a few seconds on every receiver. Studies already received, reports and users
              stay as they are, and it can be activated again at any time.
            </p>
          ) : (
            <p>
              Its modalities will be accepted again from their next association with calling AE title{" "}
              <code>{f.ae_title}</code>.
            </p>
          )}
        </Confirm>
      ) : null}
    </section>
  );
}

function FacilityForm(props: { facility: Facility; onSaved: (f: Facility) => void }) {
  const f = props.facility;
  const [name, setName] = useState(f.name);
  const [aeTitle, setAeTitle] = useState(f.ae_title);
  const [details, setDetails] = useState(detailsOf(f));
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  useEffect(() => setSaved(false), [name, aeTitle, details]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      const next = await api<Facility>("PATCH", `/api/v1/facilities/${f.id}`, {
        name,
        ae_title: aeTitle,
        ...detailsBody(details),
        revision: f.revision,
      });
      props.onSaved(next);
      setErrors(noErrors);
      setSaved(true);
    } catch (e) {
      setErrors(formErrors(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} aria-label="Facility details" noValidate class="narrow">
      {saved ? <Alert kind="success">Saved.</Alert> : null}
      {errors.general ? <Alert>{errors.general}</Alert> : null}
      <Field label="Facility name" name="name" value={name} onInput={setName} error={errors.fields.name} />
      <Field
        label="Calling AE title"
        name="ae_title"
        value={aeTitle}
        onInput={setAeTitle}
        maxLength={16}
        error={errors.fields.ae_title}
        hint="Changing it means reconfiguring every modality of the facility."
      />
      <FacilityDetailFields value={details} onChange={setDetails} errors={errors} />
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          Save changes
        </button>
      </div>
    </form>
  );
}
