// The facility fields registering and editing share.
import { Field, TextArea, type FormErrors } from "../components";
import type { Facility, MoveDestination } from "../types";

export interface FacilityDetails {
  license_number: string;
  email: string;
  phone: string;
  address: string;
  /** CIDR blocks, one per line as typed. */
  networks: string;
  /** C-MOVE destinations, one per line as typed: AE title, host, port. */
  destinations: string;
  /** Days studies are kept after their last receipt, as typed; empty keeps them for ever. */
  retention: string;
}

export const noDetails: FacilityDetails = { license_number: "", email: "", phone: "", address: "", networks: "", destinations: "", retention: "" };

export function detailsOf(f: Facility): FacilityDetails {
  return {
    license_number: f.license_number,
    email: f.email,
    phone: f.phone,
    address: f.address,
    networks: f.allowed_networks.join("\n"),
    destinations: (f.move_destinations ?? []).map((d) => `${d.ae_title} ${d.host} ${d.port}`).join("\n"),
    retention: f.retention_days == null ? "" : String(f.retention_days),
  };
}

/** "AE_TITLE host port" per line; a line of another shape is sent as it is, for the API to name the field. */
function destinationsOf(text: string): MoveDestination[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [ae_title, host, port, ...rest] = line.split(/\s+/);
      const valid = host !== undefined && port !== undefined && rest.length === 0 && /^\d+$/.test(port);
      return valid ? { ae_title, host, port: Number(port) } : { ae_title: line, host: "", port: 0 };
    });
}

/** The request fields the details become. */
export function detailsBody(d: FacilityDetails) {
  const allowed_networks = d.networks
    .split(/[\s,]+/)
    .map((n) => n.trim())
    .filter(Boolean);
  return {
    license_number: d.license_number,
    email: d.email,
    phone: d.phone,
    address: d.address,
    allowed_networks,
    move_destinations: destinationsOf(d.destinations),
    retention_days: retentionOf(d.retention),
  };
}

/** Empty keeps studies for ever (null); anything but digits is sent as typed, for the API to name the field. */
function retentionOf(text: string): number | string | null {
  const trimmed = text.trim();
  if (trimmed === "") return null;
  return /^\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

export function FacilityDetailFields(props: {
  value: FacilityDetails;
  onChange: (next: FacilityDetails) => void;
  errors: FormErrors;
  required?: boolean;
}) {
  const set = (key: keyof FacilityDetails) => (value: string) => props.onChange({ ...props.value, [key]: value });
  const e = props.errors.fields;
  return (
    <>
      <Field label="Licence number" name="license_number" value={props.value.license_number} onInput={set("license_number")} required={props.required} error={e.license_number} />
      <Field label="Contact email" name="email" type="email" value={props.value.email} onInput={set("email")} required={props.required} error={e.email} />
      <Field label="Phone" name="phone" type="tel" value={props.value.phone} onInput={set("phone")} error={e.phone} />
      <Field label="Address" name="address" value={props.value.address} onInput={set("address")} error={e.address} />
      <TextArea
        label="Allowed networks (CIDR, one per line; empty allows any address)"
        name="allowed_networks"
        rows={3}
        value={props.value.networks}
        onInput={set("networks")}
        error={e.allowed_networks}
      />
      <TextArea
        label="C-MOVE destinations (AE title, host, port; one per line, for example READING_ROOM 10.0.0.5 104)"
        name="move_destinations"
        rows={2}
        value={props.value.destinations}
        onInput={set("destinations")}
        error={e.move_destinations}
      />
      <Field
        label="Keep studies for (days after their last receipt; empty keeps them for ever)"
        name="retention_days"
        type="number"
        value={props.value.retention}
        onInput={set("retention")}
        error={e.retention_days}
      />
    </>
  );
}
