variable "name" {
  description = "Deployment name: prefixes resources and the DynamoDB tables (`<name>-facilities`, ...)."
  type        = string
  default     = "noctis"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,16}$", var.name))
    error_message = "name must be 1-17 lower-case letters, digits and hyphens, starting with a letter."
  }
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
  description = "Networks facilities send from; the DICOM ports accept nothing else."
  type        = list(string)
}

variable "api_package_path" {
  description = "The API function's zip (`make package`)."
  type        = string
}

variable "api_token_secret" {
  description = "Signing key for API tokens (at least 32 characters)."
  type        = string
  sensitive   = true
}

variable "bootstrap_admin" {
  description = "The first administrator, created on the API's first start; null to use `noctis-api create-admin`."
  type = object({
    username = string
    password = string
  })
  default   = null
  sensitive = true
}

variable "receiver_image_tag" {
  description = "Tag of the receiver image in the stack's ECR repository."
  type        = string
  default     = "0.1.0"
}

variable "receiver_image" {
  description = "A full receiver image reference instead of the stack's repository and tag."
  type        = string
  default     = null
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

variable "receiver_autoscaling" {
  description = "Autoscale the receiver service (Application Auto Scaling)."
  type        = bool
  default     = true
}

variable "dicom_tls_certificate_arn" {
  description = "ACM certificate for DICOM TLS on port 2762, ended at the load balancer."
  type        = string
  default     = null
}

variable "dicom_task_tls_certificate" {
  description = "Secrets Manager secrets (PEM certificate, PEM key, optional client CA) for DICOM TLS ended in the receiver tasks. Give this or dicom_tls_certificate_arn; neither closes port 2762."
  type = object({
    certificate_secret_arn = string
    private_key_secret_arn = string
    client_ca_secret_arn   = optional(string)
  })
  default = null
}

variable "public_dicom_host" {
  description = "The DNS name facilities are given (a CNAME to the load balancer); null gives the load balancer's own name."
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
  description = "The console's own name (the API and DICOMweb share it) and its ACM certificate in us-east-1; null for the distribution's *.cloudfront.net name."
  type = object({
    name            = string
    certificate_arn = string
  })
  default = null
}

variable "dicomweb_origin" {
  description = "The name CloudFront reaches the receivers' DICOMweb balancer by (a CNAME to dicomweb_origin_target) and its regional ACM certificate. Required outside a throwaway stack: images cross to the origin over HTTPS only."
  type = object({
    name            = string
    certificate_arn = string
  })
  default = null
}

variable "vpc_cidr_block" {
  description = "The VPC's range."
  type        = string
  default     = "10.40.0.0/16"
}

variable "zone_count" {
  description = "Availability zones used."
  type        = number
  default     = 2
}

variable "interface_endpoints" {
  description = "ECR/Logs interface endpoints for the private subnets."
  type        = bool
  default     = true
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

variable "archive_storage_class" {
  description = "The archive storage class."
  type        = string
  default     = "GLACIER_IR"
}

variable "log_retention_days" {
  description = "Retention of every log group."
  type        = number
  default     = 365
}

variable "alarm_emails" {
  description = "Addresses notified by the alarms."
  type        = list(string)
  default     = []
}

variable "aws_endpoint_url" {
  description = "AWS endpoint override passed to the receiver and API (emulators only)."
  type        = string
  default     = null
}

variable "tls_only_bucket_policy" {
  description = "Deny every bucket request not made over TLS. Only an emulator speaking plain HTTP on loopback needs this off."
  type        = bool
  default     = true
}

variable "throwaway" {
  description = "A disposable environment: no deletion protection, destroy empties the bucket and repository."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "load_balancer_deletion_protection" {
  description = "Refuse to delete the DICOM load balancer (its address is what every facility's modality is configured with)."
  type        = bool
  default     = true
}
