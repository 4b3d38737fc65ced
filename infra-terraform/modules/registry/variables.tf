variable "table_prefix" {
  description = "Prepended to every table name (Noctis' aws.table_prefix): `noctis-` gives `noctis-facilities`, ..."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{0,200}$", var.table_prefix))
    error_message = "table_prefix may hold only letters, digits, '_', '.' and '-'."
  }
}

variable "point_in_time_recovery" {
  description = "Continuous backups with 35 days of point-in-time restore."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Refuse to delete the tables (turn off only for throwaway environments)."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "The customer-managed KMS key the tables are encrypted with (the index holds patient names)."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
