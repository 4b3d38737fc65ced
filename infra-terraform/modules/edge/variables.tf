variable "name" {
  description = "Names the distribution's comment."
  type        = string
}

variable "api_domain" {
  description = "The API's HTTP API host (no scheme): the default origin."
  type        = string
}

variable "dicomweb_domain" {
  description = "The DICOMweb origin's host: the receivers' web balancer, or the name its certificate is for."
  type        = string
}

variable "dicomweb_https" {
  description = "Reach the DICOMweb origin over HTTPS (false only on an emulator)."
  type        = bool
}

variable "origin_header_name" {
  description = "The header the DICOMweb origin requires."
  type        = string
}

variable "origin_secret" {
  description = "Its value."
  type        = string
  sensitive   = true
}

variable "custom_domain" {
  description = "The console's own name and its ACM certificate (in us-east-1, as CloudFront requires); null for the distribution's *.cloudfront.net name."
  type = object({
    name            = string
    certificate_arn = string
  })
  default = null
}

variable "price_class" {
  description = "Where CloudFront serves from (PriceClass_100: North America and Europe)."
  type        = string
  default     = "PriceClass_100"
}

variable "wait_for_deployment" {
  description = "Wait until the distribution is deployed to every edge location."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
