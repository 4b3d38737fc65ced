# The management API: one Lambda function (the `noctis-api` binary packaged by
# `make package`) behind an HTTP API with throttling. The same router also runs
# as a plain server for local use; here lambda_http feeds it API Gateway events.

data "aws_region" "current" {}

locals {
  environment = merge(
    {
      NOCTIS_STORAGE__BACKEND           = "aws"
      NOCTIS_AWS__REGION                = data.aws_region.current.name
      NOCTIS_AWS__BUCKET                = var.bucket_name
      NOCTIS_AWS__TABLE_PREFIX          = var.table_prefix
      NOCTIS_API__TOKEN_SECRET          = var.token_secret
      NOCTIS_API__EDGE_SECRET           = var.edge_secret
      NOCTIS_API__PUBLIC_DICOM_HOST     = var.public_dicom_host
      NOCTIS_API__PUBLIC_DICOM_PORT     = tostring(var.public_dicom_port)
      NOCTIS_API__PUBLIC_DICOM_TLS_PORT = tostring(var.public_dicom_tls_port)
      NOCTIS_DICOM__AE_TITLE            = var.ae_title
      NOCTIS_API__CONSOLE_DIR           = "/var/task/console"
      NOCTIS_LOG__FORMAT                = "json"
    },
    var.bootstrap_admin == null ? {} : {
      NOCTIS_API__BOOTSTRAP_ADMIN = var.bootstrap_admin.username
      NOCTIS_ADMIN_PASSWORD       = var.bootstrap_admin.password
    },
    var.aws_endpoint_url == null ? {} : { NOCTIS_AWS__ENDPOINT_URL = var.aws_endpoint_url },
    var.extra_environment,
  )
}

# Logs can carry identifiers of patients' studies: encrypted with the stack's key.
resource "aws_cloudwatch_log_group" "function" {
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/noctis/${var.name}/access"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "function" {
  name               = "${var.name}-function"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "function" {
  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function.arn}:*", "${aws_cloudwatch_log_group.retention.arn}:*"]
  }
  statement {
    sid = "ManageRegistry"
    actions = [
      "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan",
      "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem",
    ]
    resources = concat(values(var.table_arns), [for arn in values(var.table_arns) : "${arn}/index/*"])
  }
  # The file route answers with a presigned GET signed by this role: it reads
  # (and decrypts) instances.
  statement {
    sid       = "ReadInstances"
    actions   = ["s3:GetObject"]
    resources = ["${var.bucket_arn}/*"]
  }
  # It writes and removes instances only as an administrator asks, or as a
  # facility's retention period says (the retention job): a deletion
  # removes their objects (with versioning, each becomes a noncurrent version
  # until the lifecycle expires it), and a study moved to another facility is
  # copied under that facility's keys. A study downloaded as one zip is
  # written under exports/ (expired after a day) and fetched from there
  # through a presigned URL.
  statement {
    sid       = "WriteInstancesAndExports"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload", "s3:DeleteObject"]
    resources = ["${var.bucket_arn}/*"]
  }
  # The stack's key encrypts the instances, the tables and this function's
  # environment (which holds the token secret).
  statement {
    sid       = "UseStackKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "function" {
  name   = "registry-and-reads"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.function.json
}

resource "aws_lambda_function" "api" {
  # checkov:skip=CKV_AWS_116: API Gateway invokes it synchronously; a dead-letter queue only receives failed asynchronous invocations.
  # checkov:skip=CKV_AWS_117: it reaches only DynamoDB and S3, with IAM, over AWS endpoints; there is nothing in the VPC for it to reach.
  # checkov:skip=CKV_AWS_272: the zip is built and deployed by the same pipeline (make package); code signing adds a signer profile with no second party to check.
  # checkov:skip=CKV_AWS_50: the function writes structured JSON logs per request; X-Ray traces would add nothing a single-hop API needs.
  function_name                  = var.name
  role                           = aws_iam_role.function.arn
  filename                       = var.package_path
  source_code_hash               = filebase64sha256(var.package_path)
  handler                        = "bootstrap"
  runtime                        = "provided.al2023"
  architectures                  = ["x86_64"]
  memory_size                    = var.memory_mb
  timeout                        = 29 # API Gateway's own limit
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = var.kms_key_arn

  environment {
    variables = local.environment
  }

  logging_config {
    log_format = "Text" # the binary already writes JSON lines
    log_group  = aws_cloudwatch_log_group.function.name
  }

  depends_on = [aws_iam_role_policy.function]
  tags       = var.tags
}

resource "aws_apigatewayv2_api" "http" {
  name          = var.name
  protocol_type = "HTTP"
  description   = "Noctis management API"
  tags          = var.tags
}

resource "aws_apigatewayv2_integration" "function" {
  api_id                 = aws_apigatewayv2_api.http.id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_function.api.invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = 29000
}

resource "aws_apigatewayv2_route" "everything" {
  # checkov:skip=CKV_AWS_309: the API authenticates every request itself (signed tokens, roles per route); sign-in and health must stay open.
  api_id    = aws_apigatewayv2_api.http.id
  route_key = "$default"
  target    = "integrations/${aws_apigatewayv2_integration.function.id}"
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.http.id
  name        = "$default"
  auto_deploy = true

  # The shared layer of rate limiting; the API's own per-address login limit is per instance.
  default_route_settings {
    throttling_burst_limit = var.throttle_burst
    throttling_rate_limit  = var.throttle_rate
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId = "$context.requestId"
      ip        = "$context.identity.sourceIp"
      time      = "$context.requestTime"
      method    = "$context.httpMethod"
      path      = "$context.path"
      status    = "$context.status"
      latencyMs = "$context.responseLatency"
      error     = "$context.integrationErrorMessage"
    })
  }
  tags = var.tags
}

resource "aws_lambda_permission" "api_gateway" {
  statement_id  = "AllowHttpApi"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.api.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.http.execution_arn}/*/*"
}

resource "aws_apigatewayv2_domain_name" "custom" {
  count       = var.custom_domain == null ? 0 : 1
  domain_name = var.custom_domain.name
  domain_name_configuration {
    certificate_arn = var.custom_domain.certificate_arn
    endpoint_type   = "REGIONAL"
    security_policy = "TLS_1_2"
  }
  tags = var.tags
}

resource "aws_apigatewayv2_api_mapping" "custom" {
  count       = var.custom_domain == null ? 0 : 1
  api_id      = aws_apigatewayv2_api.http.id
  domain_name = aws_apigatewayv2_domain_name.custom[0].id
  stage       = aws_apigatewayv2_stage.default.id
}

# The retention job: the same binary as its own function, which every
# invocation runs once (NOCTIS_LAMBDA_JOB), on an EventBridge schedule. It
# shares the API's role: it deletes what an administrator's deletion does.
resource "aws_cloudwatch_log_group" "retention" {
  name              = "/aws/lambda/${var.name}-retention"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_function" "retention" {
  # checkov:skip=CKV_AWS_116: EventBridge retries a failed run itself, and the next day's run takes up what is left; a dead-letter queue would hold nothing to act on.
  # checkov:skip=CKV_AWS_117: it reaches only DynamoDB and S3, with IAM, over AWS endpoints; there is nothing in the VPC for it to reach.
  # checkov:skip=CKV_AWS_272: the zip is built and deployed by the same pipeline (make package); code signing adds a signer profile with no second party to check.
  # checkov:skip=CKV_AWS_50: the job writes structured JSON logs of each study it deletes; X-Ray traces would add nothing.
  function_name    = "${var.name}-retention"
  description      = "Deletes studies past their facility's retention period"
  role             = aws_iam_role.function.arn
  filename         = var.package_path
  source_code_hash = filebase64sha256(var.package_path)
  handler          = "bootstrap"
  runtime          = "provided.al2023"
  architectures    = ["x86_64"]
  memory_size      = 512
  timeout          = 900 # Lambda's longest; a run stopped by it is finished by the next one
  # One run at a time: two would only race each other to the same studies.
  reserved_concurrent_executions = 1
  kms_key_arn                    = var.kms_key_arn

  environment {
    variables = merge(local.environment, { NOCTIS_LAMBDA_JOB = "retention" })
  }

  logging_config {
    log_format = "Text" # the binary already writes JSON lines
    log_group  = aws_cloudwatch_log_group.retention.name
  }

  depends_on = [aws_iam_role_policy.function]
  tags       = var.tags
}

resource "aws_cloudwatch_event_rule" "retention" {
  name                = "${var.name}-retention"
  description         = "Runs the retention job"
  schedule_expression = var.retention_schedule
  tags                = var.tags
}

resource "aws_cloudwatch_event_target" "retention" {
  rule = aws_cloudwatch_event_rule.retention.name
  arn  = aws_lambda_function.retention.arn
  retry_policy {
    maximum_retry_attempts       = 2
    maximum_event_age_in_seconds = 3600
  }
}

resource "aws_lambda_permission" "retention_schedule" {
  statement_id  = "AllowRetentionSchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.retention.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.retention.arn
}
