# The DICOM receiver: identical stateless Fargate tasks behind a network load
# balancer. Plain DICOM on 11112; DICOM over TLS on 2762, ended either at the
# load balancer (an ACM certificate) or in the tasks themselves (a certificate
# from Secrets Manager: TLS all the way to the receiver). Every connection
# reaches the tasks with a PROXY protocol v2 header naming the modality, so
# admission, bans, limits and facilities' allowed networks see its address; the
# load balancer's security group admits only the configured source ranges.

data "aws_region" "current" {}

locals {
  dicom_port  = 11112
  health_port = 8081
  # TLS in the tasks listens on its own container port; TLS at the balancer
  # forwards the decrypted stream to the plain port.
  task_tls   = var.task_tls_certificate != null
  tls_port   = var.tls_port
  open_ports = local.task_tls ? [local.dicom_port, local.tls_port] : [local.dicom_port]
  balancer_ports = concat(
    [local.dicom_port],
    local.task_tls || var.tls_certificate_arn != null ? [local.tls_port] : [],
  )
  container = "noctis-receiver"
  secrets = merge(
    {
      NOCTIS_API__TOKEN_SECRET = aws_secretsmanager_secret.token.arn
      NOCTIS_API__EDGE_SECRET  = aws_secretsmanager_secret.origin.arn
    },
    local.task_tls ? {
      for name, arn in {
        NOCTIS_DICOM__TLS__CERTIFICATE = var.task_tls_certificate.certificate_secret_arn
        NOCTIS_DICOM__TLS__PRIVATE_KEY = var.task_tls_certificate.private_key_secret_arn
        NOCTIS_DICOM__TLS__CLIENT_CA   = var.task_tls_certificate.client_ca_secret_arn
      } : name => arn if arn != null
    } : {},
  )
  image = coalesce(var.image, "${aws_ecr_repository.receiver.repository_url}:${var.image_tag}")
  environment = merge(
    {
      NOCTIS_STORAGE__BACKEND           = "aws"
      NOCTIS_AWS__REGION                = data.aws_region.current.name
      NOCTIS_AWS__BUCKET                = var.bucket_name
      NOCTIS_AWS__TABLE_PREFIX          = var.table_prefix
      NOCTIS_DICOM__AE_TITLE            = var.ae_title
      NOCTIS_DICOM__BIND                = "0.0.0.0"
      NOCTIS_DICOM__PORT                = tostring(local.dicom_port)
      NOCTIS_DICOM__HEALTH_PORT         = tostring(local.health_port)
      NOCTIS_DICOM__WEB_PORT            = tostring(local.web_port)
      NOCTIS_DICOM__SHUTDOWN_GRACE_SECS = tostring(var.shutdown_grace_secs)
      NOCTIS_DICOM__PROXY_PROTOCOL      = "true"
      NOCTIS_LOG__FORMAT                = "json"
    },
    local.task_tls ? { NOCTIS_DICOM__TLS__PORT = tostring(local.tls_port) } : {},
    var.aws_endpoint_url == null ? {} : { NOCTIS_AWS__ENDPOINT_URL = var.aws_endpoint_url },
    var.extra_environment,
  )
}

resource "aws_ecr_repository" "receiver" {
  name                 = var.name
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.force_delete_images
  image_scanning_configuration {
    scan_on_push = true
  }
  encryption_configuration {
    encryption_type = "KMS"
  }
  tags = var.tags
}

resource "aws_ecr_lifecycle_policy" "receiver" {
  repository = aws_ecr_repository.receiver.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the last ${var.images_to_keep} images"
      selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = var.images_to_keep }
      action       = { type = "expire" }
    }]
  })
}

# Logs can carry identifiers of patients' studies: encrypted with the stack's key.
resource "aws_cloudwatch_log_group" "receiver" {
  name              = "/noctis/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_ecs_cluster" "this" {
  name = var.name
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
  tags = var.tags
}

# --- IAM: the execution role pulls the image and writes logs; the task role is
# what the receiver itself may do, and no more.

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "${var.name}-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "PullImage"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
    resources = [aws_ecr_repository.receiver.arn]
  }
  statement {
    sid       = "AuthenticateToRegistry"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.receiver.arn}:*"]
  }
  statement {
    sid       = "ReadSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = values(local.secrets)
  }
  # The token secret is encrypted with the stack's key.
  statement {
    sid       = "DecryptSecrets"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "pull-and-log"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

resource "aws_iam_role" "task" {
  name               = "${var.name}-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "task" {
  statement {
    sid = "WriteInstances"
    # PutObject covers single PUTs and multipart create/upload/complete.
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
    resources = ["${var.bucket_arn}/*"]
  }
  # The repair sweep finishes a deletion whose API call was interrupted.
  statement {
    sid       = "FinishDeletions"
    actions   = ["s3:DeleteObject"]
    resources = ["${var.bucket_arn}/*"]
  }
  # The stack's key encrypts the instances and the tables.
  statement {
    sid       = "UseStackKey"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt", "kms:Encrypt", "kms:DescribeKey"]
    resources = [var.kms_key_arn]
  }
  statement {
    sid       = "ReadRegistry"
    actions   = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"]
    resources = [var.table_arns["facilities"], "${var.table_arns["facilities"]}/index/*"]
  }
  statement {
    sid = "IndexStudiesAndBans"
    actions = [
      "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query",
      "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem",
    ]
    resources = [
      var.table_arns["studies"], "${var.table_arns["studies"]}/index/*",
      var.table_arns["bans"], var.table_arns["counters"],
    ]
  }
  # A settlement copies its instances' audit events in batches.
  statement {
    sid       = "AppendAudit"
    actions   = ["dynamodb:PutItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem"]
    resources = [var.table_arns["audit"]]
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "store-and-index"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}

# --- The task and its service.

resource "aws_ecs_task_definition" "receiver" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }
  container_definitions = jsonencode([{
    name        = local.container
    image       = local.image
    essential   = true
    stopTimeout = min(var.shutdown_grace_secs + 10, 120)
    portMappings = concat(
      [for port in local.open_ports : { containerPort = port, protocol = "tcp" }],
      [{ containerPort = local.health_port, protocol = "tcp" }],
      [{ containerPort = local.web_port, protocol = "tcp" }],
    )
    environment = [for k, v in local.environment : { name = k, value = v }]
    # From Secrets Manager: the token secret DICOMweb checks sign-ins with, and
    # the TLS port's certificate and key (PEM text).
    secrets = [for name, arn in local.secrets : { name = name, valueFrom = arn }]
    healthCheck = {
      command     = ["CMD", "/usr/local/bin/noctis-receiver", "healthcheck"]
      interval    = 15
      timeout     = 5
      retries     = 3
      startPeriod = 10
    }
    readonlyRootFilesystem = true
    user                   = "65532"
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.receiver.name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = "receiver"
      }
    }
  }])
  tags = var.tags
}

# Modalities reach the load balancer from the configured ranges only; the
# tasks accept connections from the load balancer only.
resource "aws_security_group" "balancer" {
  name        = "${var.name}-balancer"
  description = "DICOM from the facilities' networks"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "balancer" {
  for_each          = { for pair in setproduct(var.allowed_source_cidrs, local.balancer_ports) : "${pair[0]}:${pair[1]}" => pair }
  security_group_id = aws_security_group.balancer.id
  description       = "DICOM from ${each.value[0]}"
  cidr_ipv4         = each.value[0]
  ip_protocol       = "tcp"
  from_port         = each.value[1]
  to_port           = each.value[1]
}

resource "aws_vpc_security_group_egress_rule" "balancer_to_tasks" {
  for_each                     = toset([for port in concat(local.open_ports, [local.health_port]) : tostring(port)])
  security_group_id            = aws_security_group.balancer.id
  description                  = "To the receiver tasks"
  referenced_security_group_id = aws_security_group.tasks.id
  ip_protocol                  = "tcp"
  from_port                    = tonumber(each.value)
  to_port                      = tonumber(each.value)
}

resource "aws_security_group" "tasks" {
  name        = "${var.name}-tasks"
  description = "DICOM and health checks from the load balancer"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "tasks" {
  for_each                     = toset([for port in concat(local.open_ports, [local.health_port]) : tostring(port)])
  security_group_id            = aws_security_group.tasks.id
  description                  = "From the load balancer"
  referenced_security_group_id = aws_security_group.balancer.id
  ip_protocol                  = "tcp"
  from_port                    = tonumber(each.value)
  to_port                      = tonumber(each.value)
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.tasks.id
  description       = "AWS APIs (S3, DynamoDB, ECR, logs) over HTTPS"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_lb" "dicom" {
  name                             = var.name
  load_balancer_type               = "network"
  internal                         = false
  subnets                          = var.public_subnet_ids
  security_groups                  = [aws_security_group.balancer.id]
  enable_cross_zone_load_balancing = true
  enable_deletion_protection       = var.deletion_protection
  tags                             = var.tags

  # Who connected, when, from where: the TLS listener's connections (an NLB logs
  # only those), beside the receivers' own association audit trail.
  access_logs {
    bucket  = var.access_logs_bucket
    prefix  = "nlb/${var.name}"
    enabled = true
  }
}

resource "aws_lb_target_group" "dicom" {
  for_each = toset([for port in local.open_ports : tostring(port)])

  name                 = "${var.name}-${each.value}"
  port                 = tonumber(each.value)
  protocol             = "TCP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  proxy_protocol_v2    = true
  preserve_client_ip   = false
  deregistration_delay = var.shutdown_grace_secs
  # Associations in flight finish on a draining task (the receiver's own grace).
  connection_termination = false

  health_check {
    protocol            = "HTTP"
    port                = tostring(local.health_port)
    path                = "/healthz"
    matcher             = "200"
    interval            = 10
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }
  tags = var.tags
}

resource "aws_lb_listener" "dicom" {
  load_balancer_arn = aws_lb.dicom.arn
  port              = local.dicom_port
  protocol          = "TCP"
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.dicom[tostring(local.dicom_port)].arn
  }
  tags = var.tags
}

# DICOM TLS (PS3.15 B.1), one of two ways: TLS ends here with an ACM
# certificate and the association goes on to the plain port, or the stream
# passes through to the tasks' own TLS port.
resource "aws_lb_listener" "dicom_tls" {
  count             = local.task_tls || var.tls_certificate_arn != null ? 1 : 0
  load_balancer_arn = aws_lb.dicom.arn
  port              = local.tls_port
  protocol          = local.task_tls ? "TCP" : "TLS"
  certificate_arn   = local.task_tls ? null : var.tls_certificate_arn
  ssl_policy        = local.task_tls ? null : "ELBSecurityPolicy-TLS13-1-2-2021-06"
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.dicom[tostring(local.task_tls ? local.tls_port : local.dicom_port)].arn
  }
  tags = var.tags

  lifecycle {
    precondition {
      condition     = !(local.task_tls && var.tls_certificate_arn != null)
      error_message = "Give either tls_certificate_arn (TLS at the load balancer) or task_tls_certificate (TLS in the tasks), not both."
    }
  }
}

resource "aws_ecs_service" "receiver" {
  name                               = var.name
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.receiver.arn
  launch_type                        = "FARGATE"
  desired_count                      = var.min_tasks
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  health_check_grace_period_seconds  = 30
  propagate_tags                     = "SERVICE"

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  dynamic "load_balancer" {
    for_each = aws_lb_target_group.dicom
    content {
      target_group_arn = load_balancer.value.arn
      container_name   = local.container
      container_port   = load_balancer.value.port
    }
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.web.arn
    container_name   = local.container
    container_port   = local.web_port
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  # Autoscaling owns the count after the first apply.
  lifecycle {
    ignore_changes = [desired_count]
  }

  depends_on = [aws_lb_listener.dicom, aws_lb_listener.dicom_tls, aws_lb_listener_rule.web_from_edge]
  tags       = var.tags
}

# --- Autoscaling: on CPU, and on open connections per task (associations are
# long and mostly I/O-bound, so CPU alone under-reacts to many slow senders).

resource "aws_appautoscaling_target" "receiver" {
  count              = var.autoscaling ? 1 : 0
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.receiver.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.min_tasks
  max_capacity       = var.max_tasks
}

resource "aws_appautoscaling_policy" "cpu" {
  count              = var.autoscaling ? 1 : 0
  name               = "${var.name}-cpu"
  service_namespace  = aws_appautoscaling_target.receiver[0].service_namespace
  resource_id        = aws_appautoscaling_target.receiver[0].resource_id
  scalable_dimension = aws_appautoscaling_target.receiver[0].scalable_dimension
  policy_type        = "TargetTrackingScaling"
  target_tracking_scaling_policy_configuration {
    target_value       = var.target_cpu_percent
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "connections" {
  count              = var.autoscaling ? 1 : 0
  name               = "${var.name}-connections"
  service_namespace  = aws_appautoscaling_target.receiver[0].service_namespace
  resource_id        = aws_appautoscaling_target.receiver[0].resource_id
  scalable_dimension = aws_appautoscaling_target.receiver[0].scalable_dimension
  policy_type        = "TargetTrackingScaling"
  target_tracking_scaling_policy_configuration {
    target_value       = var.target_connections_per_task
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    customized_metric_specification {
      metrics {
        id          = "flows"
        return_data = false
        metric_stat {
          stat = "Average"
          metric {
            namespace   = "AWS/NetworkELB"
            metric_name = "ActiveFlowCount_TCP"
            dimensions {
              name  = "LoadBalancer"
              value = aws_lb.dicom.arn_suffix
            }
          }
        }
      }
      metrics {
        id          = "tasks"
        return_data = false
        metric_stat {
          stat = "Average"
          metric {
            namespace   = "ECS/ContainerInsights"
            metric_name = "RunningTaskCount"
            dimensions {
              name  = "ClusterName"
              value = aws_ecs_cluster.this.name
            }
            dimensions {
              name  = "ServiceName"
              value = aws_ecs_service.receiver.name
            }
          }
        }
      }
      metrics {
        id          = "per_task"
        label       = "Open DICOM connections per task"
        expression  = "flows / MAX([tasks, 1])"
        return_data = true
      }
    }
  }
}
