variable "bucket_name" {
  description = "The instance bucket's name (globally unique)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name: 3-63 lower-case letters, digits, dots and hyphens."
  }
}

variable "archive_after_days" {
  description = "Days after which instances move to the archive storage class."
  type        = number
  default     = 90

  validation {
    condition     = var.archive_after_days >= 1
    error_message = "archive_after_days must be at least 1."
  }
}

variable "archive_storage_class" {
  description = "The archive class: GLACIER_IR keeps millisecond reads for priors; DEEP_ARCHIVE is cheapest."
  type        = string
  default     = "GLACIER_IR"

  validation {
    condition     = contains(["STANDARD_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"], var.archive_storage_class)
    error_message = "archive_storage_class must be STANDARD_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER or DEEP_ARCHIVE."
  }
}

variable "noncurrent_version_retention_days" {
  description = "Days an instance's earlier version (deleted through Noctis, or overwritten by a re-send) is kept, recoverable, before it expires and the deletion is final."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_retention_days >= 1
    error_message = "noncurrent_version_retention_days must be at least 1."
  }
}

variable "kms_deletion_window_days" {
  description = "Waiting period before the KMS key is deleted after destroy."
  type        = number
  default     = 30
}

variable "force_destroy" {
  description = "Let destroy empty the bucket. Keep false anywhere real patients' images live."
  type        = bool
  default     = false
}

variable "tls_only_policy" {
  description = "Attach the bucket policy that denies every request not made over TLS."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "How long the access logs (S3 server access, load balancer) are kept."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
