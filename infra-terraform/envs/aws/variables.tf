variable "region" {
  description = "AWS region to deploy in."
  type        = string
}

variable "name" {
  description = "Deployment name (prefixes resources and tables)."
  type        = string
  default     = "noctis"
}

variable "bucket_name" {
  description = "The instance bucket (globally unique)."
  type        = string
}

variable "ae_title" {
  description = "The called AE title modalities address."
  type        = string
  default     = "NOCTIS_SCP"
}

variable "allowed_source_cidrs" {
  description = "Networks facilities send from (their NAT or VPN egress addresses)."
  type        = list(string)
}

variable "api_package_path" {
  description = "The API function's zip."
  type        = string
  default     = "../../../target/lambda/noctis-api/bootstrap.zip"
}

variable "api_token_secret" {
  description = "Signing key for API tokens, at least 32 characters (e.g. `openssl rand -base64 48`); pass it with TF_VAR_api_token_secret."
  type        = string
  sensitive   = true
}

variable "bootstrap_admin" {
  description = "The first administrator, created on the API's first start; leave null and use `noctis-api create-admin` to keep the password out of Terraform state."
  type = object({
    username = string
    password = string
  })
  default   = null
  sensitive = true
}

variable "receiver_image_tag" {
  description = "The receiver image tag pushed to the stack's ECR repository."
  type        = string
  default     = "0.1.0"
}

variable "receiver_min_tasks" {
  description = "Fewest receiver tasks."
  type        = number
  default     = 2
}

variable "receiver_max_tasks" {
  description = "Most receiver tasks."
  type        = number
  default     = 10
}

variable "dicom_tls_certificate_arn" {
  description = "ACM certificate for DICOM TLS on 2762, ended at the load balancer."
  type        = string
  default     = null
}

variable "dicom_task_tls_certificate" {
  description = "Secrets Manager ARNs of a PEM certificate, PEM key and optional client CA bundle for DICOM TLS ended in the receiver tasks (instead of dicom_tls_certificate_arn)."
  type = object({
    certificate_secret_arn = string
    private_key_secret_arn = string
    client_ca_secret_arn   = optional(string)
  })
  default = null
}

variable "public_dicom_host" {
  description = "DNS name given to facilities (a CNAME to the load balancer)."
  type        = string
  default     = null
}

variable "api_custom_domain" {
  description = "Optional custom domain for the API."
  type = object({
    name            = string
    certificate_arn = string
  })
  default = null
}

variable "console_domain" {
  description = "The console's own name (the API and DICOMweb share it) and its ACM certificate in us-east-1; null for the CloudFront distribution's own name."
  type = object({
    name            = string
    certificate_arn = string
  })
  default = null
}

variable "dicomweb_origin" {
  description = "The name CloudFront reaches the receivers' DICOMweb balancer by (a CNAME to the dicomweb_origin_target output) and its ACM certificate in this region: DICOMweb crosses to the receivers over HTTPS only."
  type = object({
    name            = string
    certificate_arn = string
  })
}

variable "alarm_emails" {
  description = "Addresses notified by the alarms."
  type        = list(string)
  default     = []
}

variable "log_retention_days" {
  description = "Retention of every log group, of the VPC flow logs and of the access-log bucket (a year at least is the usual audit requirement)."
  type        = number
  default     = 365
}

variable "archive_after_days" {
  description = "Days before instances move to the archive class."
  type        = number
  default     = 90
}

variable "retention_schedule" {
  description = "When the retention job runs (an EventBridge schedule expression); it deletes studies past their facility's retention period, counted from their last receipt."
  type        = string
  default     = "cron(30 2 * * ? *)"
}

variable "noncurrent_version_retention_days" {
  description = "Days an instance's earlier version (deleted through Noctis, or overwritten by a re-send) is kept, recoverable, before it expires and the deletion is final."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
