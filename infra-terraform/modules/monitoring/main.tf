# Alarms for the things an operator must hear about: modalities being turned
# away, instances that could not be stored, API errors and throttling, and a
# receiver fleet with no healthy task. Receiver figures come from its JSON logs
# through metric filters, so nothing extra runs in the tasks.

locals {
  namespace  = "Noctis/${var.name}"
  alarm_arns = concat(aws_sns_topic.alarms[*].arn, var.alarm_actions)
}

resource "aws_sns_topic" "alarms" {
  count             = var.create_topic ? 1 : 0
  name              = "${var.name}-alarms"
  kms_master_key_id = "alias/aws/sns"
  tags              = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = var.create_topic ? toset(var.alarm_emails) : toset([])
  topic_arn = aws_sns_topic.alarms[0].arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_cloudwatch_log_metric_filter" "rejected_associations" {
  name           = "${var.name}-rejected-associations"
  log_group_name = var.receiver_log_group_name
  pattern        = "{ $.message = \"association rejected\" }"
  metric_transformation {
    name          = "RejectedAssociations"
    namespace     = local.namespace
    value         = "1"
    default_value = "0"
  }
}

# Every failed store logs an ERROR from the intake module; the modality was told
# A700/C000 and will retry, but someone should know why.
resource "aws_cloudwatch_log_metric_filter" "store_failures" {
  name           = "${var.name}-store-failures"
  log_group_name = var.receiver_log_group_name
  pattern        = "{ ($.level = \"ERROR\") && ($.target = \"noctis_receiver::intake\") }"
  metric_transformation {
    name          = "StoreFailures"
    namespace     = local.namespace
    value         = "1"
    default_value = "0"
  }
}

# Each alarm says what differs from the usual: a sum over one period that
# breaches at the threshold or above, and no data counting as fine.
locals {
  alarms = {
    rejected-associations = {
      description = "Many associations refused: a misconfigured modality, a deactivated facility still sending, or someone probing."
      namespace   = local.namespace
      metric      = aws_cloudwatch_log_metric_filter.rejected_associations.metric_transformation[0].name
      period      = 300
      threshold   = var.rejected_associations_threshold
    }
    store-failures = {
      description = "The receiver could not store or index instances (S3, KMS or DynamoDB failing)."
      namespace   = local.namespace
      metric      = aws_cloudwatch_log_metric_filter.store_failures.metric_transformation[0].name
      period      = 60
      threshold   = 1
    }
    no-healthy-receiver = {
      description = "No receiver task passes its health check: modalities cannot send."
      namespace   = "AWS/NetworkELB"
      metric      = "HealthyHostCount"
      dimensions  = { LoadBalancer = var.load_balancer_arn_suffix, TargetGroup = var.target_group_arn_suffix }
      statistic   = "Minimum"
      period      = 60
      periods     = 2
      threshold   = 1
      comparison  = "LessThanThreshold"
      missing     = "breaching"
    }
    api-5xx = {
      description = "The management API answers with server errors."
      namespace   = "AWS/ApiGateway"
      metric      = "5xx"
      dimensions  = { ApiId = var.api_id, Stage = "$default" }
      period      = 300
      threshold   = var.api_5xx_threshold
    }
    api-throttles = {
      description = "The API function is being throttled (concurrency limit reached)."
      namespace   = "AWS/Lambda"
      metric      = "Throttles"
      dimensions  = { FunctionName = var.function_name }
      period      = 300
      threshold   = 1
    }
    api-function-errors = {
      description = "The API function failed (crashes, timeouts) rather than answering."
      namespace   = "AWS/Lambda"
      metric      = "Errors"
      dimensions  = { FunctionName = var.function_name }
      period      = 300
      threshold   = 1
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = try(each.value.dimensions, {})
  statistic           = try(each.value.statistic, "Sum")
  period              = each.value.period
  evaluation_periods  = try(each.value.periods, 1)
  threshold           = each.value.threshold
  comparison_operator = try(each.value.comparison, "GreaterThanOrEqualToThreshold")
  treat_missing_data  = try(each.value.missing, "notBreaching")
  alarm_actions       = local.alarm_arns
  ok_actions          = local.alarm_arns
  tags                = var.tags
}
