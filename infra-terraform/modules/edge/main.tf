# The console's one origin: a CloudFront distribution that sends /dicomweb/*
# to the receivers' DICOMweb balancer and everything else (the console, the
# API) to the API's HTTP API. The browser sees one host for all three, so no
# CORS is needed, and sign-in cookies reach DICOMweb as they reach the API.
# Nothing is cached: every answer depends on who asks.

locals {
  # AWS-managed policies, by their fixed IDs (the same in every account).
  caching_disabled = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
  # All viewer headers and CloudFront's own, CloudFront-Viewer-Address among them.
  all_viewer_and_cloudfront = "33f36d7e-f396-46d9-90e0-52428a34d9dc"
  all_viewer_except_host    = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
  all_methods               = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
  cached_methods            = ["GET", "HEAD"]
  api_origin                = "api"
  dicomweb_origin           = "dicomweb"
}

resource "aws_cloudfront_distribution" "this" {
  # checkov:skip=CKV_AWS_68: WAF is an account-level choice (rules, cost, logging); the API throttles at API Gateway and limits sign-ins itself, and the receivers cap associations and bodies.
  # checkov:skip=CKV2_AWS_47: same: no WAF here; nothing in the stack runs Log4j.
  # checkov:skip=CKV_AWS_86: standard logs need an ACL-enabled bucket; the API Gateway stage and the DICOMweb balancer log every request instead.
  # checkov:skip=CKV_AWS_310: one API and one receiver service per stack; there is no second origin to fail over to.
  # checkov:skip=CKV_AWS_374: who may connect is decided by sign-in and facilities' allowed networks, not by country.
  # checkov:skip=CKV2_AWS_32: the API sets its own security headers (CSP, frame-ancestors, nosniff) on every answer.
  # checkov:skip=CKV2_AWS_42: a custom certificate is used whenever custom_domain is given; without one, the distribution's own *.cloudfront.net certificate.
  # checkov:skip=CKV_AWS_305: "/" goes to the API, which serves the console's page there itself.
  # checkov:skip=CKV_AWS_174: with custom_domain the minimum is TLSv1.2_2021; the default certificate's policy is CloudFront's to set.
  enabled             = true
  comment             = "Noctis ${var.name}: console, API and DICOMweb on one origin"
  http_version        = "http2and3"
  is_ipv6_enabled     = true
  price_class         = var.price_class
  aliases             = var.custom_domain == null ? [] : [var.custom_domain.name]
  wait_for_deployment = var.wait_for_deployment

  origin {
    origin_id   = local.api_origin
    domain_name = var.api_domain
    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
      # API Gateway's own limit for an integration.
      origin_read_timeout = 30
    }
    # Proves to the API that CloudFront-Viewer-Address is CloudFront's.
    custom_header {
      name  = var.origin_header_name
      value = var.origin_secret
    }
  }

  origin {
    origin_id   = local.dicomweb_origin
    domain_name = var.dicomweb_domain
    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = var.dicomweb_https ? "https-only" : "http-only"
      origin_ssl_protocols   = ["TLSv1.2"]
      # The longest CloudFront allows without a quota increase: a large STOW-RS
      # is answered only once every instance in it is stored and indexed.
      origin_read_timeout      = 60
      origin_keepalive_timeout = 60
    }
    custom_header {
      name  = var.origin_header_name
      value = var.origin_secret
    }
  }

  default_cache_behavior {
    target_origin_id       = local.api_origin
    viewer_protocol_policy = "redirect-to-https"
    allowed_methods        = local.all_methods
    cached_methods         = local.cached_methods
    cache_policy_id        = local.caching_disabled
    # API Gateway answers only to its own host name. The policy also passes
    # CloudFront's headers, CloudFront-Viewer-Address among them.
    origin_request_policy_id = local.all_viewer_except_host
    compress                 = true
  }

  ordered_cache_behavior {
    path_pattern           = "/dicomweb/*"
    target_origin_id       = local.dicomweb_origin
    viewer_protocol_policy = "redirect-to-https"
    allowed_methods        = local.all_methods
    cached_methods         = local.cached_methods
    cache_policy_id        = local.caching_disabled
    # The viewer's Host reaches the receivers, so the RetrieveURLs in QIDO-RS
    # answers name the console's origin; CloudFront-Viewer-Address, who asked.
    origin_request_policy_id = local.all_viewer_and_cloudfront
    # Instances are served byte for byte as stored.
    compress = false
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = var.custom_domain == null
    acm_certificate_arn            = var.custom_domain == null ? null : var.custom_domain.certificate_arn
    ssl_support_method             = var.custom_domain == null ? null : "sni-only"
    minimum_protocol_version       = var.custom_domain == null ? "TLSv1" : "TLSv1.2_2021"
  }

  tags = var.tags
}
