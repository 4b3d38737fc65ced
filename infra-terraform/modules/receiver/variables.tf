variable "name" {
  description = "Name of the cluster, service, load balancer and repository (at most 26 characters: target group names add a suffix)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,25}$", var.name))
    error_message = "name must be 1-26 lower-case letters, digits and hyphens."
  }
}

variable "image_tag" {
  description = "Tag of the receiver image (receiver/Dockerfile) pushed to this module's repository; tags are immutable, so use a version."
  type        = string
  default     = "0.1.0"
}

variable "image" {
  description = "A full image reference to run instead of <repository>:<image_tag> (another registry, a digest)."
  type        = string
  default     = null
}

variable "ae_title" {
  description = "The called AE title modalities address (Noctis' dicom.ae_title)."
  type        = string
  default     = "NOCTIS_SCP"

  validation {
    condition     = can(regex("^[ -\\[\\]-~]{1,16}$", var.ae_title)) && trimspace(var.ae_title) != ""
    error_message = "ae_title must be 1-16 printable characters without a backslash."
  }
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
  description = "Registry table ARN by short name (facilities, users, studies, audit, bans, counters)."
  type        = map(string)
}

variable "vpc_id" {
  description = "The VPC."
  type        = string
}

variable "public_subnet_ids" {
  description = "Subnets for the load balancer."
  type        = list(string)
}

variable "private_subnet_ids" {
  description = "Subnets for the tasks."
  type        = list(string)
}

variable "allowed_source_cidrs" {
  description = "Networks the facilities send from; nothing else reaches the DICOM port. Each facility can be narrowed further in Noctis (allowed_networks)."
  type        = list(string)

  validation {
    condition     = length(var.allowed_source_cidrs) > 0 && alltrue([for c in var.allowed_source_cidrs : can(cidrnetmask(c))])
    error_message = "allowed_source_cidrs must list at least one IPv4 CIDR."
  }
}

variable "tls_certificate_arn" {
  description = "ACM certificate for DICOM TLS ended at the load balancer. Null (and no task_tls_certificate) leaves the TLS port closed."
  type        = string
  default     = null
}

variable "task_tls_certificate" {
  description = "DICOM TLS ended in the tasks: Secrets Manager secrets holding the PEM certificate chain, the PEM private key and, for mutual TLS, the PEM CA bundle client certificates must chain to. Excludes tls_certificate_arn."
  type = object({
    certificate_secret_arn = string
    private_key_secret_arn = string
    client_ca_secret_arn   = optional(string)
  })
  default = null
}

variable "tls_port" {
  description = "The DICOM TLS port on the load balancer."
  type        = number
  default     = 2762
}

variable "cpu" {
  description = "Task CPU units (1024 = one vCPU)."
  type        = number
  default     = 1024
}

variable "memory" {
  description = "Task memory in MiB."
  type        = number
  default     = 2048
}

variable "min_tasks" {
  description = "Fewest running tasks (at least 2 for availability)."
  type        = number
  default     = 2
}

variable "max_tasks" {
  description = "Most running tasks."
  type        = number
  default     = 10

  validation {
    condition     = var.max_tasks >= 1
    error_message = "max_tasks must be at least 1."
  }
}

variable "autoscaling" {
  description = "Scale the service between min_tasks and max_tasks on CPU and connections per task; false keeps min_tasks running."
  type        = bool
  default     = true
}

variable "target_cpu_percent" {
  description = "Average CPU the service scales to hold."
  type        = number
  default     = 60
}

variable "target_connections_per_task" {
  description = "Open DICOM connections per task the service scales to hold."
  type        = number
  default     = 40
}

variable "shutdown_grace_secs" {
  description = "How long a stopping task lets running associations finish (also the target group's deregistration delay)."
  type        = number
  default     = 60

  validation {
    condition     = var.shutdown_grace_secs >= 0 && var.shutdown_grace_secs <= 110
    error_message = "shutdown_grace_secs must be 0-110 (Fargate stops a container at most 120 s after SIGTERM)."
  }
}

variable "log_retention_days" {
  description = "How long the receiver's logs are kept."
  type        = number
  default     = 365
}

variable "aws_endpoint_url" {
  description = "An AWS endpoint override for the tasks (emulators only); null for AWS."
  type        = string
  default     = null
}

variable "extra_environment" {
  description = "More NOCTIS_* settings for the container (e.g. NOCTIS_DICOM__LIMITS__MAX_ASSOCIATIONS)."
  type        = map(string)
  default     = {}
}

variable "images_to_keep" {
  description = "How many images the repository keeps."
  type        = number
  default     = 30
}

variable "access_logs_bucket" {
  description = "The bucket the load balancer writes its access logs to (the storage module's logs bucket)."
  type        = string
}

variable "deletion_protection" {
  description = "Protect the load balancer from deletion."
  type        = bool
  default     = true
}

variable "force_delete_images" {
  description = "Let destroy delete a repository that still holds images."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "token_secret" {
  description = "The API's token secret (api.token_secret): DICOMweb checks sign-ins with it. Stored in Secrets Manager."
  type        = string
  sensitive   = true
}

variable "origin_secret" {
  description = "The header value only the stack's CloudFront distribution sends; the DICOMweb balancer answers nothing else."
  type        = string
  sensitive   = true
}

variable "web_certificate_arn" {
  description = "ACM certificate for the DICOMweb origin's own name (CloudFront reaches it over HTTPS). Null only with allow_plain_http_origin."
  type        = string
  default     = null
}

variable "allow_plain_http_origin" {
  description = "Let the DICOMweb origin listen on plain HTTP: only for a throwaway stack on an emulator."
  type        = bool
  default     = false
}
