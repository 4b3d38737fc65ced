variable "name" {
  description = "Name prefix for every resource of this network."
  type        = string
}

variable "cidr_block" {
  description = "The VPC's address range; public subnets take the first /20s, private ones from the ninth."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.cidr_block)) && tonumber(split("/", var.cidr_block)[1]) <= 20
    error_message = "cidr_block must be an IPv4 CIDR of /20 or larger."
  }
}

variable "zone_count" {
  description = "How many availability zones to spread the subnets over."
  type        = number
  default     = 2

  validation {
    condition     = var.zone_count >= 1 && var.zone_count <= 8
    error_message = "zone_count must be between 1 and 8."
  }
}

variable "interface_endpoints" {
  description = "Create ECR and CloudWatch Logs interface endpoints so tasks in private subnets need no NAT."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "The key the flow-log group is encrypted with (the stack's key)."
  type        = string
}

variable "log_retention_days" {
  description = "How long the VPC flow logs are kept."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
