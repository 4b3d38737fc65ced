# DICOMweb on the receivers' HTTP listener (`dicom.web_port`): an application
# load balancer that only the stack's CloudFront distribution may use (its
# origin-facing address ranges, and a header only the distribution sends).
# The distribution routes /dicomweb/* here and everything else to the API, so
# the console, the API and DICOMweb share one origin and the browser needs no
# CORS. Bodies stream both ways, which Lambda's payload limits would not allow.

locals {
  web_port = 8082
  # HTTPS from CloudFront needs a certificate for the origin's own name; plain
  # HTTP only in a throwaway stack on an emulator.
  web_https          = var.web_certificate_arn != null
  web_listener_port  = local.web_https ? 443 : 80
  origin_header_name = "X-Noctis-Origin"
}

data "aws_ec2_managed_prefix_list" "cloudfront" {
  name = "com.amazonaws.global.cloudfront.origin-facing"
}

# The token secret signs and checks the API's sign-in tokens; the receivers
# check DICOMweb requests with it, so it reaches them from Secrets Manager,
# never as plain task definition text.
resource "aws_secretsmanager_secret" "token" {
  # checkov:skip=CKV2_AWS_57: rotating the token secret signs every user out; it is rotated by changing api_token_secret, which updates the API and this secret together.
  name                    = "${var.name}/token-secret"
  description             = "Signs the API's sign-in tokens; the receivers check DICOMweb requests with it"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.force_delete_images ? 0 : 7
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "token" {
  secret_id     = aws_secretsmanager_secret.token.id
  secret_string = var.token_secret
}

# The value of the header the distribution adds: the balancer forwards only
# requests bearing it, and the receivers then believe the viewer address
# CloudFront names (api.edge_secret).
resource "aws_secretsmanager_secret" "origin" {
  # checkov:skip=CKV2_AWS_57: it changes with api_token_secret, from which the stack derives it.
  name                    = "${var.name}/origin-secret"
  description             = "The header CloudFront sends the DICOMweb balancer and the API"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.force_delete_images ? 0 : 7
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "origin" {
  secret_id     = aws_secretsmanager_secret.origin.id
  secret_string = var.origin_secret
}

resource "aws_security_group" "web_balancer" {
  name        = "${var.name}-web"
  description = "DICOMweb from the stack's CloudFront distribution"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "web_from_cloudfront" {
  security_group_id = aws_security_group.web_balancer.id
  description       = "CloudFront's origin-facing addresses"
  prefix_list_id    = data.aws_ec2_managed_prefix_list.cloudfront.id
  ip_protocol       = "tcp"
  from_port         = local.web_listener_port
  to_port           = local.web_listener_port
}

resource "aws_vpc_security_group_egress_rule" "web_to_tasks" {
  for_each                     = toset([tostring(local.web_port), tostring(local.health_port)])
  security_group_id            = aws_security_group.web_balancer.id
  description                  = "To the receiver tasks"
  referenced_security_group_id = aws_security_group.tasks.id
  ip_protocol                  = "tcp"
  from_port                    = tonumber(each.value)
  to_port                      = tonumber(each.value)
}

resource "aws_vpc_security_group_ingress_rule" "tasks_from_web" {
  for_each                     = toset([tostring(local.web_port), tostring(local.health_port)])
  security_group_id            = aws_security_group.tasks.id
  description                  = "From the DICOMweb load balancer"
  referenced_security_group_id = aws_security_group.web_balancer.id
  ip_protocol                  = "tcp"
  from_port                    = tonumber(each.value)
  to_port                      = tonumber(each.value)
}

resource "aws_lb" "web" {
  # checkov:skip=CKV2_AWS_28: the distribution in front carries the edge protections; this balancer answers only requests bearing the distribution's header.
  # checkov:skip=CKV2_AWS_20: with web_certificate_arn the listener is HTTPS only; plain HTTP exists only in a throwaway stack on an emulator.
  name                       = "${var.name}-web"
  load_balancer_type         = "application"
  internal                   = false
  subnets                    = var.public_subnet_ids
  security_groups            = [aws_security_group.web_balancer.id]
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
  # A 1 GiB STOW-RS body, or a whole study's WADO-RS, may pause between packets.
  idle_timeout = 120
  tags         = var.tags

  access_logs {
    bucket  = var.access_logs_bucket
    prefix  = "alb/${var.name}"
    enabled = true
  }

  lifecycle {
    precondition {
      condition     = local.web_https || var.allow_plain_http_origin
      error_message = "DICOMweb carries patients' images: give web_certificate_arn (a certificate for the origin's name) so CloudFront reaches the receivers over HTTPS."
    }
  }
}

resource "aws_lb_target_group" "web" {
  # checkov:skip=CKV_AWS_378: the hop from the balancer to the tasks stays inside the VPC's private subnets, open to the balancer's security group alone (as the DICOM port behind the NLB).
  name                 = "${var.name}-web"
  port                 = local.web_port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = var.shutdown_grace_secs

  # The same /healthz the DICOM target groups use: a draining receiver answers
  # 503 there, so both balancers stop sending it new work at the same moment.
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

resource "aws_lb_listener" "web" {
  # checkov:skip=CKV_AWS_2: HTTPS whenever web_certificate_arn is given (always, outside an emulator: the precondition above).
  # checkov:skip=CKV_AWS_103: same: the HTTPS listener uses a TLS 1.2+ policy.
  load_balancer_arn = aws_lb.web.arn
  port              = local.web_listener_port
  protocol          = local.web_https ? "HTTPS" : "HTTP"
  certificate_arn   = var.web_certificate_arn
  ssl_policy        = local.web_https ? "ELBSecurityPolicy-TLS13-1-2-2021-06" : null

  # Anything that did not come through the distribution.
  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "application/json"
      status_code  = "403"
      message_body = jsonencode({ error = "forbidden", message = "DICOMweb is served through the console's origin" })
    }
  }
  tags = var.tags
}

resource "aws_lb_listener_rule" "web_from_edge" {
  listener_arn = aws_lb_listener.web.arn
  priority     = 1
  condition {
    http_header {
      http_header_name = local.origin_header_name
      values           = [var.origin_secret]
    }
  }
  condition {
    path_pattern {
      values = ["/dicomweb/*"]
    }
  }
  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.web.arn
  }
  tags = var.tags
}
