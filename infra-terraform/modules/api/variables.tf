variable "name" {
  description = "Name of the function and the HTTP API."
  type        = string
}

variable "package_path" {
  description = "The function's zip (`make package` writes target/lambda/noctis-api/bootstrap.zip)."
  type        = string
}

variable "bucket_name" {
  description = "The instance bucket."
  type        = string
}

variable "bucket_arn" {
  description = "The instance bucket's ARN."
  type        = string
}

variable "kms_key_arn" {
  description = "The key the bucket encrypts with."
  type        = string
}

variable "table_prefix" {
  description = "The registry's table prefix."
  type        = string
}

variable "table_arns" {
  description = "Registry table ARN by short name."
  type        = map(string)
}

variable "token_secret" {
  description = "The key API tokens are signed with (at least 32 characters; changing it signs everyone out)."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.token_secret) >= 32
    error_message = "token_secret must be at least 32 characters."
  }
}

variable "bootstrap_admin" {
  description = "The first administrator, created on the function's first start when no administrator exists; null to create it with `noctis-api create-admin` instead."
  type = object({
    username = string
    password = string
  })
  default   = null
  sensitive = true
}

variable "ae_title" {
  description = "The receiver's called AE title, shown on facilities' DICOM sheets."
  type        = string
  default     = "NOCTIS_SCP"
}

variable "public_dicom_host" {
  description = "The host modalities send to (the receiver's load balancer or a DNS name for it)."
  type        = string
}

variable "public_dicom_port" {
  description = "Plain DICOM port on that host."
  type        = number
  default     = 11112
}

variable "public_dicom_tls_port" {
  description = "DICOM TLS port on that host."
  type        = number
  default     = 2762
}

variable "memory_mb" {
  description = "Function memory (CPU scales with it; argon2 sign-ins like at least 512)."
  type        = number
  default     = 1024
}

variable "reserved_concurrency" {
  description = "Concurrency reserved for (and capping) the function; -1 for none."
  type        = number
  default     = -1
}

variable "throttle_rate" {
  description = "Steady requests per second the HTTP API lets through."
  type        = number
  default     = 50
}

variable "throttle_burst" {
  description = "Burst of requests the HTTP API lets through."
  type        = number
  default     = 100
}

variable "custom_domain" {
  description = "An optional custom domain with its ACM certificate (regional)."
  type = object({
    name            = string
    certificate_arn = string
  })
  default = null
}

variable "retention_schedule" {
  description = "When the retention job runs (an EventBridge schedule expression); it deletes studies past their facility's retention period, counted from their last receipt."
  type        = string
  default     = "cron(30 2 * * ? *)"

  validation {
    condition     = can(regex("^(cron|rate)\\(.+\\)$", var.retention_schedule))
    error_message = "retention_schedule must be an EventBridge schedule expression: cron(...) or rate(...)."
  }
}

variable "log_retention_days" {
  description = "How long the function's and access logs are kept."
  type        = number
  default     = 365
}

variable "aws_endpoint_url" {
  description = "An AWS endpoint override for the function (emulators only); null for AWS."
  type        = string
  default     = null
}

variable "extra_environment" {
  description = "More NOCTIS_* settings for the function."
  type        = map(string)
  default     = {}
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "edge_secret" {
  description = "The header value the stack's CloudFront distribution sends (api.edge_secret): requests bearing it are from the viewer CloudFront names."
  type        = string
  sensitive   = true
}
