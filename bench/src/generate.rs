//! A synthetic organisation at any scale: `platform.yaml` with M accounts and N pipeline
//! projects written per SPEC, a pure function of (N, M, seed).
//!
//! Shape: pipeline `i` lives in account `i mod M`. A third of the pipelines (every third
//! one, and any that has no earlier pipeline in another account) run on a schedule; the
//! rest wait for one to three *earlier* pipelines in *other* accounts, so the graph is
//! never cyclic and always crosses accounts. Conditions mix `allOf` and `anyOf`, some
//! with nested groups, some listening for `FAILED` to run a fallback.

use crate::rng::Rng;
use crate::yaml::{Yaml, flow_list, flow_map, quoted};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenOptions {
    /// How many pipeline projects.
    pub pipelines: usize,
    /// How many user accounts (at least 1).
    pub accounts: usize,
    /// The seed: the same options give the same bytes.
    pub seed: u64,
}

impl GenOptions {
    /// `pipelines` pipelines over the default number of accounts for that size (see
    /// [`default_accounts`]).
    pub fn new(pipelines: usize, seed: u64) -> GenOptions {
        GenOptions {
            pipelines,
            accounts: default_accounts(pipelines),
            seed,
        }
    }
}

/// Seven pipelines per account, as in the 700 over 100; at least one account.
pub fn default_accounts(pipelines: usize) -> usize {
    pipelines.div_ceil(7).max(1)
}

/// The marker file `gen-org` leaves in its output folder, so a later run may replace it.
pub const MARKER: &str = ".gen-org";

/// A generated organisation: files by path relative to its folder.
#[derive(Clone, Debug)]
pub struct GeneratedOrg {
    /// `platform.yaml` first, then `<alias>/<pipeline>/pipeline.yaml` per pipeline.
    pub files: Vec<(PathBuf, String)>,
    /// The pipelines as (account alias, name), in generation order.
    pub pipelines: Vec<(String, String)>,
}

impl GeneratedOrg {
    /// The project file of pipeline `index`.
    pub fn pipeline_file(&self, index: usize) -> Option<PathBuf> {
        self.pipelines
            .get(index)
            .map(|(alias, name)| Path::new(alias).join(name).join("pipeline.yaml"))
    }

    /// Writes every file below `dir`. A `dir` that exists must be empty or an earlier
    /// `gen-org` output (it has [`MARKER`]); that is removed first, so no stale project
    /// survives a smaller run.
    ///
    /// # Errors
    /// When `dir` holds something else, or a file cannot be written.
    pub fn write(&self, dir: &Path) -> io::Result<()> {
        if dir.exists() {
            let empty = fs::read_dir(dir)?.next().is_none();
            if !empty && !dir.join(MARKER).is_file() {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!(
                        "{} is not empty and was not written by gen-org; refusing to replace it",
                        dir.display()
                    ),
                ));
            }
            fs::remove_dir_all(dir)?;
        }
        fs::create_dir_all(dir)?;
        for (path, text) in &self.files {
            let full = dir.join(path);
            if let Some(parent) = full.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(full, text)?;
        }
        fs::write(dir.join(MARKER), "written by dpc-bench gen-org\n")
    }
}

const TEAMS: [&str; 20] = [
    "payments",
    "search",
    "listings",
    "pricing",
    "ads",
    "crm",
    "finance",
    "identity",
    "logistics",
    "marketing",
    "fraud",
    "catalog",
    "reviews",
    "mobile",
    "growth",
    "support",
    "billing",
    "geo",
    "media",
    "partners",
];
const SUBJECTS: [&str; 16] = [
    "orders", "sessions", "clicks", "leads", "invoices", "users", "offers", "bookings", "events",
    "prices", "ratings", "visits", "ledger", "stock", "churn", "funnel",
];
const ACTIONS: [&str; 10] = [
    "daily", "hourly", "enrich", "rollup", "snapshot", "score", "dedup", "export", "merge", "audit",
];
const STEPS: [&str; 12] = [
    "extract",
    "clean",
    "validate",
    "enrich",
    "join",
    "aggregate",
    "score",
    "compact",
    "publish",
    "export",
    "index",
    "report",
];
const REGIONS: [&str; 3] = ["eu-west-1", "eu-central-1", "us-east-1"];
const TIMEZONES: [&str; 4] = ["Europe/Berlin", "Europe/London", "America/New_York", "UTC"];
const WITHIN: [&str; 4] = ["12h", "24h", "36h", "2d"];
const INSTANCES: [&str; 4] = ["r5.2xlarge", "m5.2xlarge", "r5.xlarge", "c5.4xlarge"];

struct Account {
    alias: String,
    id: String,
    region: &'static str,
    team: &'static str,
}

/// Generates the organisation; the options are used as given (`accounts` 0 counts as 1).
pub fn generate(options: GenOptions) -> GeneratedOrg {
    let accounts = accounts(options);
    let mut files = vec![(PathBuf::from("platform.yaml"), platform(options, &accounts))];
    let names: Vec<String> = (0..options.pipelines)
        .map(|i| pipeline_name(options.seed, i))
        .collect();
    let mut pipelines = Vec::with_capacity(options.pipelines);
    for (i, name) in names.iter().enumerate() {
        let account = &accounts[i % accounts.len()];
        let text = pipeline(options, i, &names, &accounts);
        files.push((
            Path::new(&account.alias).join(name).join("pipeline.yaml"),
            text,
        ));
        pipelines.push((account.alias.clone(), name.clone()));
    }
    GeneratedOrg { files, pipelines }
}

fn accounts(options: GenOptions) -> Vec<Account> {
    let mut rng = Rng::derive(options.seed, u64::MAX);
    (0..options.accounts.max(1))
        .map(|i| {
            let team = TEAMS[i % TEAMS.len()];
            // Ids start at 2xx so they never collide with the central 111111111111, and
            // step by more than the random part so they are unique.
            let id = 200_000_000_000 + i as u64 * 1_000_003 + rng.below(1_000_000) as u64;
            Account {
                alias: format!("{team}-{i:03}"),
                id: format!("{id:012}"),
                region: REGIONS[rng.below(REGIONS.len())],
                team,
            }
        })
        .collect()
}

fn platform(options: GenOptions, accounts: &[Account]) -> String {
    let mut rng = Rng::derive(options.seed, u64::MAX - 1);
    let mut y = Yaml::default();
    y.line(
        0,
        &format!(
            "# Generated by dpc-bench gen-org: {} pipelines over {} accounts, seed {}.",
            options.pipelines,
            accounts.len(),
            options.seed
        ),
    );
    y.line(0, "central:");
    y.line(1, "account: \"111111111111\"");
    y.line(1, "region: eu-west-1");
    y.line(1, "busName: data-pipelines-central");
    y.line(1, "organizationId: o-a1b2c3d4e5");
    y.line(1, "slack:");
    y.line(2, "tokenSecretName: dpc/slack-token");
    y.line(0, "accounts:");
    for account in accounts {
        y.line(1, &format!("{}:", account.alias));
        y.line(2, &format!("id: {}", quoted(&account.id)));
        y.line(2, &format!("region: {}", account.region));
        let subnets: Vec<String> = (0..rng.between(1, 3))
            .map(|_| format!("subnet-{:08x}", rng.next_u64() & 0xFFFF_FFFF))
            .collect();
        y.line(
            2,
            &format!(
                "network: {}",
                flow_map(&[
                    ("vpcId", format!("vpc-{:08x}", rng.next_u64() & 0xFFFF_FFFF)),
                    ("subnetIds", flow_list(&subnets)),
                    ("private", (!rng.percent(10)).to_string()),
                ])
            ),
        );
    }
    y.line(0, "defaults:");
    y.line(
        1,
        "emr: { releaseLabel: emr-7.5.0, instanceType: m5.xlarge, coreInstances: 2 }",
    );
    y.line(1, "logRetentionDays: 30");
    y.line(0, "cdk:");
    y.line(1, "qualifier: hnb659fds");
    y.finish()
}

/// Pipeline names are unique across the organisation (the index is part of them).
fn pipeline_name(seed: u64, index: usize) -> String {
    let mut rng = Rng::derive(seed, index as u64 * 2 + 1);
    format!("{}-{}-{index:04}", rng.pick(&SUBJECTS), rng.pick(&ACTIONS))
}

/// Earlier pipelines (in other accounts than pipeline `index`'s) that may be parents.
fn parent_candidates(index: usize, accounts: usize) -> usize {
    if accounts <= 1 {
        0
    } else {
        // The earlier pipelines in the same account are index - M, index - 2M, …
        index - index / accounts
    }
}

fn pipeline(options: GenOptions, index: usize, names: &[String], accounts: &[Account]) -> String {
    let mut rng = Rng::derive(options.seed, index as u64 * 2);
    let account = &accounts[index % accounts.len()];
    let name = &names[index];
    let mut y = Yaml::default();
    y.line(0, &format!("name: {name}"));
    // Now and then by id rather than alias: SPEC allows both.
    if rng.percent(10) {
        y.line(0, &format!("account: {}", quoted(&account.id)));
    } else {
        y.line(0, &format!("account: {}", account.alias));
    }
    y.line(
        0,
        &format!(
            "description: Synthetic pipeline {index} of {} ({} data of team {})",
            options.pipelines,
            name.split('-').next().unwrap_or("some"),
            account.team
        ),
    );
    y.line(0, &format!("owner: {}-team", account.team));
    y.line(
        0,
        &format!(
            "tags: {}",
            flow_map(&[(
                "cost-center",
                quoted(&format!("{}", 1000 + index % accounts.len()))
            )])
        ),
    );
    if rng.percent(5) {
        y.line(0, "enabled: false");
    }
    let run_hours = rng.between(3, 12);
    y.line(0, &format!("timeout: {run_hours}h"));

    let scheduled = index.is_multiple_of(3) || parent_candidates(index, accounts.len()) == 0;
    y.line(0, "trigger:");
    if scheduled {
        schedule(&mut y, &mut rng);
    } else {
        executions(&mut y, &mut rng, index, names, accounts);
    }

    if rng.percent(50) {
        cluster(&mut y, &mut rng);
    }
    access(&mut y, &mut rng, account, name);
    steps(&mut y, &mut rng, account, name, run_hours);
    if rng.percent(90) {
        notifications(&mut y, &mut rng, account);
    }
    y.finish()
}

fn schedule(y: &mut Yaml, rng: &mut Rng) {
    let hour = rng.below(24);
    let minute = rng.below(12) * 5;
    match rng.below(100) {
        0..25 => {
            // SPEC's short form.
            y.line(1, &format!("hour: {hour}"));
            if minute != 0 {
                y.line(1, &format!("minute: {minute}"));
            }
        }
        25..55 => y.line(
            1,
            &format!(
                "schedule: {}",
                flow_map(&[("hour", hour.to_string()), ("minute", minute.to_string())])
            ),
        ),
        55..80 => {
            let mut fields = vec![("hour", hour.to_string()), ("minute", minute.to_string())];
            if rng.percent(70) {
                let days = if rng.percent(50) {
                    vec!["MON", "TUE", "WED", "THU", "FRI"]
                } else {
                    vec!["MON", "THU"]
                };
                fields.push(("weekDays", flow_list(&days)));
            }
            if rng.percent(70) {
                fields.push(("timezone", rng.pick(&TIMEZONES).to_string()));
            }
            y.line(1, &format!("schedule: {}", flow_map(&fields)));
        }
        _ => {
            let cron = if rng.percent(50) {
                format!("{minute} {hour} * * ? *")
            } else {
                format!("{minute} {hour} ? * MON-FRI *")
            };
            y.line(1, &format!("cron: {}", quoted(&cron)));
        }
    }
}

/// One condition item: a parent pipeline with the statuses it must reach.
struct Item {
    name: String,
    account: String,
    status: &'static [&'static str],
}

fn executions(y: &mut Yaml, rng: &mut Rng, index: usize, names: &[String], accounts: &[Account]) {
    let wanted = rng
        .between(1, 3)
        .min(parent_candidates(index, accounts.len()));
    let own = index % accounts.len();
    let mut parents: Vec<usize> = Vec::with_capacity(wanted);
    while parents.len() < wanted {
        let j = rng.below(index);
        if j % accounts.len() != own && !parents.contains(&j) {
            parents.push(j);
        }
    }
    let mut items: Vec<Item> = parents
        .iter()
        .map(|&j| {
            let parent = &accounts[j % accounts.len()];
            let status: &'static [&'static str] = match rng.below(100) {
                0..10 => &["FAILED"],
                10..15 => &["FAILED", "TIMED_OUT"],
                15..20 => &["SUCCEEDED", "FAILED"],
                _ => &["SUCCEEDED"],
            };
            Item {
                name: names[j].clone(),
                account: if rng.percent(15) {
                    quoted(&parent.id)
                } else {
                    parent.alias.clone()
                },
                status,
            }
        })
        .collect();

    y.line(1, "executions:");
    if rng.percent(40) {
        y.line(2, &format!("within: {}", rng.pick(&WITHIN)));
    }
    let shape = rng.below(100);
    match items.len() {
        1 if shape < 70 => block(y, 2, "allOf", &items),
        1 => block(y, 2, "anyOf", &items),
        2 if shape < 40 => block(y, 2, "allOf", &items),
        2 if shape < 70 => block(y, 2, "anyOf", &items),
        2 => {
            let operator = if rng.percent(50) { "AND" } else { "OR" };
            y.line(2, &format!("operator: {operator}"));
            let second = items.split_off(1);
            block(y, 2, "allOf", &items);
            block(y, 2, "anyOf", &second);
        }
        _ if shape < 25 => block(y, 2, "allOf", &items),
        _ if shape < 50 => {
            let rest = items.split_off(1);
            block(y, 2, "allOf", &items);
            block(y, 2, "anyOf", &rest);
        }
        _ if shape < 75 => {
            // A nested group: the first parent, and one of the other two.
            let rest = items.split_off(1);
            y.line(2, "allOf:");
            item(y, 3, &items[0]);
            y.line(3, "- operator: OR");
            y.line(4, "anyOf:");
            for i in &rest {
                item(y, 5, i);
            }
        }
        _ => {
            // Either the first parent, or both others together.
            let rest = items.split_off(1);
            y.line(2, "anyOf:");
            item(y, 3, &items[0]);
            y.line(3, "- allOf:");
            for i in &rest {
                item(y, 5, i);
            }
        }
    }
}

fn block(y: &mut Yaml, depth: usize, key: &str, items: &[Item]) {
    y.line(depth, &format!("{key}:"));
    for i in items {
        item(y, depth + 1, i);
    }
}

fn item(y: &mut Yaml, depth: usize, item: &Item) {
    y.line(depth, &format!("- name: {}", item.name));
    y.line(depth + 1, &format!("account: {}", item.account));
    y.line(depth + 1, &format!("status: {}", flow_list(item.status)));
}

fn cluster(y: &mut Yaml, rng: &mut Rng) {
    y.line(0, "cluster:");
    if rng.percent(30) {
        y.line(1, "master: { instanceType: m5.2xlarge }");
    }
    let market = if rng.percent(60) { "SPOT" } else { "ON_DEMAND" };
    y.line(
        1,
        &format!(
            "core: {}",
            flow_map(&[
                ("instanceType", rng.pick(&INSTANCES).to_string()),
                ("count", rng.between(2, 8).to_string()),
                ("market", market.to_string()),
            ])
        ),
    );
    if rng.percent(20) {
        y.line(
            1,
            &format!(
                "task: {}",
                flow_map(&[
                    ("instanceType", rng.pick(&INSTANCES).to_string()),
                    ("count", rng.between(1, 4).to_string()),
                    ("market", "SPOT".to_string()),
                ])
            ),
        );
    }
    if rng.percent(40) {
        y.line(1, &format!("ebsSizeGb: {}", 32 << rng.below(3)));
    }
    if rng.percent(30) {
        y.line(1, "configurations:");
        y.line(2, "- classification: spark-defaults");
        y.line(3, "properties: { spark.sql.adaptive.enabled: \"true\" }");
    }
}

fn access(y: &mut Yaml, rng: &mut Rng, account: &Account, name: &str) {
    y.line(0, "access:");
    let lake = format!("s3://lake-{}", account.alias);
    let reads: Vec<String> = (0..rng.between(1, 3))
        .map(|_| format!("{lake}/{}/", rng.pick(&SUBJECTS)))
        .collect();
    y.line(1, &format!("read: {}", flow_list(&reads)));
    y.line(1, &format!("write: [{lake}/{name}/]"));
    if rng.percent(60) {
        y.line(1, &format!("glueDatabases: [{}]", account.team));
    }
}

fn steps(y: &mut Yaml, rng: &mut Rng, account: &Account, name: &str, run_hours: usize) {
    let count = rng.between(3, 6);
    // Distinct step names, in a stable order.
    let mut chosen: Vec<&str> = Vec::with_capacity(count);
    while chosen.len() < count {
        let s = *rng.pick(&STEPS);
        if !chosen.contains(&s) {
            chosen.push(s);
        }
    }
    let dag = rng.percent(35);
    let jobs = format!("s3://artifacts-{}/jobs/{name}", account.alias);
    y.line(0, "steps:");
    for (k, step) in chosen.iter().enumerate() {
        y.line(1, &format!("- name: {step}"));
        // The first step is always a Python Spark job reading the run date, so a
        // benchmark can change one pipeline in a known place.
        if k == 0 || rng.percent(65) {
            y.line(2, "type: spark");
            if k > 0 && rng.percent(25) {
                y.line(2, &format!("script: {jobs}/{step}.jar"));
                y.line(
                    2,
                    &format!(
                        "mainClass: com.example.{}.{}Job",
                        account.team,
                        capitalised(step)
                    ),
                );
            } else {
                y.line(2, &format!("script: {jobs}/{step}.py"));
            }
            y.line(2, "args: [--date, \"{{ds}}\"]");
            if rng.percent(40) {
                y.line(
                    2,
                    &format!(
                        "sparkConf: {}",
                        flow_map(&[("spark.executor.memory", format!("{}g", 2 << rng.below(3)))])
                    ),
                );
            }
        } else {
            y.line(2, "type: shell");
            y.line(2, &format!(
                "command: {}",
                quoted(&format!(
                    "aws s3 sync s3://lake-{}/{name}/_staging/{{{{ds_nodash}}}}/ s3://lake-{}/{name}/dt={{{{ds}}}}/",
                    account.alias, account.alias
                ))
            ));
        }
        if dag && k > 0 && !(k == 1 && rng.percent(50)) {
            // One or two earlier steps: a DAG whose roots are the steps without dependsOn.
            let first = chosen[rng.below(k)];
            let second = chosen[rng.below(k)];
            let deps = if first == second {
                vec![first]
            } else {
                vec![first, second]
            };
            y.line(2, &format!("dependsOn: {}", flow_list(&deps)));
        }
        if rng.percent(40) {
            y.line(2, &format!("timeout: {}h", rng.between(1, run_hours)));
        }
        if rng.percent(30) {
            y.line(2, &format!("retries: {}", rng.between(1, 2)));
        }
    }
}

fn notifications(y: &mut Yaml, rng: &mut Rng, account: &Account) {
    y.line(0, "notifications:");
    if rng.percent(10) {
        y.line(1, "type: FULL_EXECUTION");
    } else if rng.percent(40) {
        y.line(1, "onStatus: [FAILED, TIMED_OUT, ABORTED, SUCCEEDED]");
    }
    y.line(1, "targets:");
    y.line(2, "- channel: SLACK");
    y.line(
        3,
        &format!(
            "addresses: [{}]",
            quoted(&format!("#{}-alerts", account.alias))
        ),
    );
    if rng.percent(50) {
        y.line(2, "- channel: EMAIL");
        y.line(
            3,
            &format!("addresses: [{}-team@example.com]", account.team),
        );
    }
    if rng.percent(20) {
        y.line(2, "- channel: OPSGENIE");
        y.line(3, &format!("secretName: dpc/opsgenie/{}", account.alias));
    }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_options_give_the_same_bytes_and_another_seed_differs() {
        let a = generate(GenOptions::new(40, 7));
        let b = generate(GenOptions::new(40, 7));
        let c = generate(GenOptions::new(40, 8));
        assert_eq!(a.files, b.files);
        assert_ne!(a.files, c.files);
        assert_eq!(a.files.len(), 41);
    }

    #[test]
    fn accounts_have_unique_quoted_twelve_digit_ids() {
        let org = generate(GenOptions {
            pipelines: 1,
            accounts: 300,
            seed: 3,
        });
        let platform = &org.files[0].1;
        let ids: Vec<&str> = platform
            .lines()
            .filter_map(|l| l.trim().strip_prefix("id: \""))
            .map(|l| l.trim_end_matches('"'))
            .collect();
        assert_eq!(ids.len(), 300);
        assert!(
            ids.iter()
                .all(|id| id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()))
        );
        let mut unique = ids.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ids.len());
    }

    #[test]
    fn a_third_is_scheduled_and_parents_are_earlier_pipelines_in_other_accounts() {
        let options = GenOptions {
            pipelines: 90,
            accounts: 10,
            seed: 11,
        };
        let org = generate(options);
        let index_of = |name: &str| org.pipelines.iter().position(|(_, n)| n == name);
        let mut scheduled = 0;
        for (i, (_, text)) in org.files.iter().skip(1).enumerate() {
            let has_executions = text.contains("  executions:");
            if !has_executions {
                scheduled += 1;
                continue;
            }
            let parents: Vec<usize> = text
                .lines()
                .filter_map(|l| l.trim().strip_prefix("- name: "))
                .filter_map(index_of)
                .collect();
            assert!(
                (1..=3).contains(&parents.len()),
                "pipeline {i}: {parents:?}"
            );
            for p in parents {
                assert!(p < i, "pipeline {i} waits for a later one ({p})");
                assert_ne!(
                    p % 10,
                    i % 10,
                    "pipeline {i} waits for one in its own account"
                );
            }
        }
        assert_eq!(scheduled, 30);
    }

    #[test]
    fn one_account_means_everything_is_scheduled() {
        let org = generate(GenOptions {
            pipelines: 5,
            accounts: 1,
            seed: 1,
        });
        assert!(org.files.iter().all(|(_, t)| !t.contains("executions:")));
    }

    #[test]
    fn write_refuses_a_folder_it_did_not_write_and_replaces_its_own() {
        let dir = std::env::temp_dir().join(format!("dpc-bench-gen-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("temp dir");
        fs::write(dir.join("keep.txt"), "mine").expect("write");
        let org = generate(GenOptions::new(3, 1));
        assert!(org.write(&dir).is_err());
        assert!(dir.join("keep.txt").is_file());
        fs::remove_file(dir.join("keep.txt")).expect("remove");
        org.write(&dir).expect("empty folder");
        generate(GenOptions::new(2, 1))
            .write(&dir)
            .expect("own output");
        let third = org.pipeline_file(2).expect("three pipelines");
        assert!(!dir.join(third).exists(), "a stale project survived");
        fs::remove_dir_all(&dir).expect("cleanup");
    }
}
