# Builds the six images of ./Dockerfile for linux/amd64 and linux/arm64.
#   docker buildx bake                                   # all six, local build
#   VERSION=1.2.3 REVISION=$(git rev-parse HEAD) REGISTRY=docker.io/acme/ docker buildx bake --push
# Tags: full version, minor, major and latest, for each published name.

variable "VERSION" {
  default = "0.1.0"
}

variable "REVISION" {
  default = ""
}

# prefix of every image name, e.g. "docker.io/acme/" or "ghcr.io/acme/"; empty: local names
variable "REGISTRY" {
  default = ""
}

variable "SOURCE" {
  default = "https://github.com/duplicity-cron/duplicity-cron"
}

function "tags" {
  params = [name]
  result = [
    "${REGISTRY}${name}:${VERSION}",
    "${REGISTRY}${name}:${join(".", slice(split(".", VERSION), 0, 2))}",
    "${REGISTRY}${name}:${split(".", VERSION)[0]}",
    "${REGISTRY}${name}:latest",
  ]
}

function "labels" {
  params = [title, description]
  result = {
    "org.opencontainers.image.title"       = title
    "org.opencontainers.image.description" = description
    "org.opencontainers.image.source"      = SOURCE
    "org.opencontainers.image.revision"    = REVISION
    "org.opencontainers.image.version"     = VERSION
    "org.opencontainers.image.licenses"    = "MIT"
  }
}

group "default" {
  targets = ["duplicity", "cron", "mariadb", "mysql", "postgres", "docker"]
}

target "_common" {
  context    = "."
  dockerfile = "Dockerfile"
  platforms  = ["linux/amd64", "linux/arm64"]
  args = {
    VERSION = VERSION
  }
}

target "duplicity" {
  inherits = ["_common"]
  target   = "duplicity"
  tags     = tags("duplicity")
  labels   = labels("duplicity", "Duplicity 3.2.1 with the common backends (S3, B2, SFTP, Azure, Dropbox, OneDrive, Swift, WebDAV, FTP, rsync, par2, rclone)")
}

target "cron" {
  inherits = ["_common"]
  target   = "cron"
  tags     = tags("duplicity-cron")
  labels   = labels("duplicity-cron", "Duplicity backup tasks scheduled from environment variables")
}

target "mariadb" {
  inherits = ["_common"]
  target   = "mariadb"
  tags     = tags("duplicity-mariadb")
  labels   = labels("duplicity-mariadb", "duplicity-cron with the MariaDB client, to back up database dumps")
}

target "mysql" {
  inherits = ["_common"]
  target   = "mysql"
  tags     = tags("duplicity-mysql")
  labels   = labels("duplicity-mysql", "duplicity-cron with the MySQL client, to back up database dumps")
}

target "postgres" {
  inherits = ["_common"]
  target   = "postgres"
  tags     = tags("duplicity-postgres")
  labels   = labels("duplicity-postgres", "duplicity-cron with the PostgreSQL client, to back up database dumps")
}

target "docker" {
  inherits = ["_common"]
  target   = "docker"
  tags     = tags("duplicity-docker")
  labels   = labels("duplicity-docker", "duplicity-cron with the docker CLI, to back up data of other containers")
}
