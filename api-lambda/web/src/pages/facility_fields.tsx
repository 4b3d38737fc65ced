// The facility fields registering and editing share.
import { Field, TextArea, type FormErrors } from "../components";
import type { Facility } from "../types";

export interface FacilityDetails {
  license_number: string;
  email: string;
  phone: string;
  address: string;
  /** CIDR blocks, one per line as typed. */
  networks: string;
}

export const noDetails: FacilityDetails = { license_number: "", email: "", phone: "", address: "", networks: "" };

export function detailsOf(f: Facility): FacilityDetails {
  return { license_number: f.license_number, email: f.email, phone: f.phone, address: f.address, networks: f.allowed_networks.join("\n") };
}

/** The request fields the details become. */
export function detailsBody(d: FacilityDetails) {
  const allowed_networks = d.networks
    .split(/[\s,]+/)
    .map((n) => n.trim())
    .filter(Boolean);
  return { license_number: d.license_number, email: d.email, phone: d.phone, address: d.address, allowed_networks };
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
    </>
  );
}
