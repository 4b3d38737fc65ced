variable "name" {
  description = "Prefix of the alarms, topic and metric namespace (Noctis/<name>)."
  type        = string
}

variable "receiver_log_group_name" {
  description = "The receiver's log group (its JSON lines feed the metric filters)."
  type        = string
}

variable "load_balancer_arn_suffix" {
  description = "The receiver load balancer's ARN suffix."
  type        = string
}

variable "target_group_arn_suffix" {
  description = "The receiver target group's ARN suffix."
  type        = string
}

variable "api_id" {
  description = "The HTTP API's id."
  type        = string
}

variable "function_name" {
  description = "The API function's name."
  type        = string
}

variable "create_topic" {
  description = "Create an SNS topic the alarms notify."
  type        = bool
  default     = true
}

variable "alarm_emails" {
  description = "Addresses subscribed to the alarm topic (each must confirm by e-mail)."
  type        = list(string)
  default     = []
}

variable "alarm_actions" {
  description = "More ARNs (SNS topics, incident tools) the alarms notify."
  type        = list(string)
  default     = []
}

variable "rejected_associations_threshold" {
  description = "Refused associations in 5 minutes that raise the alarm."
  type        = number
  default     = 20
}

variable "api_5xx_threshold" {
  description = "API server errors in 5 minutes that raise the alarm."
  type        = number
  default     = 5
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
