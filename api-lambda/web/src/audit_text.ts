// How audit events read to a person.
import type { AuditEvent } from "./types";

export const AUDIT_KINDS: Record<string, string> = {
  association_accepted: "Association accepted",
  association_rejected: "Association refused",
  instance_stored: "Instance stored",
  dicom_query: "DICOM query",
  dicom_retrieve: "DICOM retrieve",
  storage_commitment: "Storage commitment",
  sign_in: "Signed in",
  sign_in_failed: "Sign-in failed",
  facility_created: "Facility registered",
  facility_updated: "Facility changed",
  facility_activated: "Facility activated",
  facility_deactivated: "Facility deactivated",
  user_created: "User created",
  user_updated: "User changed",
  password_changed: "Password changed",
  study_updated: "Study changed",
  study_deleted: "Study deleted",
  series_deleted: "Series deleted",
  instance_deleted: "Instance deleted",
  study_moved: "Study moved",
  index_rebuilt: "Index rebuilt from storage",
  report_saved: "Report saved",
  address_banned: "Address banned",
  ban_lifted: "Ban lifted",
};

export function actorText(event: AuditEvent): string {
  const actor = event.actor;
  if (actor.type === "user") return actor.username ?? "a user";
  if (actor.type === "modality") return `modality ${actor.ae_title ?? ""}`.trim();
  return "Noctis";
}

/** The one detail worth a column: a refusal's reason, a calling AE title, a report's version. */
export function detailText(event: AuditEvent): string {
  const d = (event.details ?? {}) as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of ["reason", "level", "calling_ae_title", "called_ae_title", "sop_instance_uid", "address"]) {
    if (typeof d[key] === "string") parts.push(`${key.replace(/_/g, " ")}: ${d[key]}`);
  }
  const after = d.after as Record<string, unknown> | undefined;
  if (after && typeof after === "object" && "version" in after) parts.push(`version ${after.version} (${after.status})`);
  return parts.join("; ");
}
