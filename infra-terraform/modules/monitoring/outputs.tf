output "alarm_topic_arn" {
  description = "The SNS topic the alarms notify (null when not created)."
  value       = one(aws_sns_topic.alarms[*].arn)
}

output "metric_namespace" {
  description = "Namespace of the receiver metrics derived from its logs."
  value       = local.namespace
}

output "alarm_names" {
  description = "Every alarm this module created."
  value       = [for alarm in aws_cloudwatch_metric_alarm.this : alarm.alarm_name]
}
