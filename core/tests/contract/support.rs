use noctis_core::Ports;
use noctis_core::aws::{self, AwsClients};
use noctis_core::config::{AwsConfig, Config};

/// A backend under test, plus the means to open a second, independent handle on
/// the same storage (another process, as far as the adapters can tell).
pub struct Fixture {
    pub ports: Ports,
    kind: Kind,
}

enum Kind {
    Embedded(tempfile::TempDir),
    Aws(AwsConfig),
}

impl Fixture {
    pub async fn embedded() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let ports = noctis_core::embedded::open(dir.path()).await.expect("the embedded backend opens");
        Self { ports, kind: Kind::Embedded(dir) }
    }

    /// Fresh tables and bucket on the emulator whose endpoint `make test` exports.
    pub async fn aws() -> Self {
        let config = aws_test_config();
        let clients = AwsClients::with_credentials(&config, "testing", "testing").await;
        aws::provision(&clients, &config).await.expect("the emulator takes the bucket and tables");
        Self { ports: aws::ports(&clients, &config), kind: Kind::Aws(config) }
    }

    /// The DynamoDB client and table names of an AWS fixture, to set up the
    /// state a crash leaves; `None` on the embedded backend.
    pub async fn dynamodb(&self) -> Option<(aws_sdk_dynamodb::Client, noctis_core::aws::TableNames)> {
        match &self.kind {
            Kind::Embedded(_) => None,
            Kind::Aws(config) => {
                let clients = AwsClients::with_credentials(config, "testing", "testing").await;
                Some((clients.dynamodb, noctis_core::aws::TableNames::with_prefix(&config.table_prefix)))
            }
        }
    }

    pub async fn second_handle(&self) -> Ports {
        match &self.kind {
            Kind::Embedded(dir) => noctis_core::embedded::open(dir.path()).await.expect("reopens"),
            Kind::Aws(config) => aws::ports(&AwsClients::with_credentials(config, "testing", "testing").await, config),
        }
    }
}

pub fn aws_test_config() -> AwsConfig {
    let endpoint = std::env::var("NOCTIS_TEST_AWS_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "NOCTIS_TEST_AWS_ENDPOINT is not set: run the tests with `make test`, or wrap them in \
             `localstack/emulator run -- cargo test`"
        )
    });
    let run = uuid::Uuid::new_v4().simple().to_string();
    let mut config = Config::default().aws;
    config.endpoint_url = Some(endpoint);
    config.table_prefix = format!("t{}-", &run[..12]);
    config.bucket = format!("noctis-test-{}", &run[..20]);
    config
}

/// Instantiates each named contract once per adapter set:
/// `embedded::<name>` and `aws::<name>`.
#[macro_export]
macro_rules! contract_tests {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let fixture = $crate::support::Fixture::embedded().await;
                    super::$name(&fixture).await;
                }
            )*
        }
        mod aws {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let fixture = $crate::support::Fixture::aws().await;
                    super::$name(&fixture).await;
                }
            )*
        }
    };
}
