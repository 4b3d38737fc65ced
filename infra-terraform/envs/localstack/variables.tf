variable "endpoint" {
  description = "The emulator's endpoint, as Terraform reaches it."
  type        = string
  default     = "http://127.0.0.1:4566"
}

variable "service_endpoint_url" {
  description = "The emulator's endpoint as the deployed receiver and function reach it (LocalStack: http://localhost.localstack.cloud:4566); null when they run outside it."
  type        = string
  default     = null
}

variable "region" {
  description = "The emulated region."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Deployment name (tables become <name>-facilities, ...)."
  type        = string
  default     = "noctis-local"
}

variable "api_package_path" {
  description = "The API function's zip (`make package`)."
  type        = string
  default     = "../../../target/lambda/noctis-api/bootstrap.zip"
}

variable "api_token_secret" {
  description = "Signing key for API tokens."
  type        = string
  sensitive   = true
  default     = "a local token secret that only signs tokens on this machine"
}

variable "bootstrap_admin" {
  description = "The first administrator, created on the function's first start."
  type = object({
    username = string
    password = string
  })
  sensitive = true
  default = {
    username = "admin"
    password = "change-me-local-only"
  }
}

variable "receiver_image" {
  description = "The receiver image the task definition names (build it with `docker build -f receiver/Dockerfile .`)."
  type        = string
  default     = "noctis-receiver:local"
}
