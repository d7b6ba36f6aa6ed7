//! Software inventory and the patch index, end to end: GetInventory / GetInventorySchema
//! through the stock AWS CLI (moto implements neither), the org-wide software picture and
//! the patch index through the real SDK against the simulator.

mod common;

use common::spawn_sim;

fn cli_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config"), "").unwrap();
    std::fs::write(dir.path().join("credentials"), "").unwrap();
    dir
}

#[test]
fn stock_aws_cli_aggregates_inventory_and_pages_entities() {
    if !common::aws_cli_available() {
        eprintln!("skipped: the AWS CLI (`aws`) is not installed");
        return;
    }
    let sim = spawn_sim(&["--port", "0", "--seed", "11"]);
    let dir = cli_dir();
    let d = dir.path();
    // entities: one per node, paged by the CLI to the end (MaxResults 1..50)
    let all = common::aws_cli(&sim.url, d, &[], &["ssm", "get-inventory"]);
    let entities = all["Entities"].as_array().unwrap();
    assert!(entities.len() > 10, "{}", entities.len());
    let first = &entities[0]["Data"]["AWS:InstanceInformation"];
    assert_eq!(first["TypeName"], "AWS:InstanceInformation");
    let capture = first["CaptureTime"].as_str().unwrap();
    assert!(
        capture.len() == 20 && capture.ends_with('Z'),
        "no fractions: {capture}"
    );
    // nested aggregation: Name -> Version, counts as strings, from one entry per row
    let agg = common::aws_cli(
        &sim.url,
        d,
        &[],
        &[
            "ssm",
            "get-inventory",
            "--aggregators",
            r#"[{"Expression":"AWS:Application.Name","Aggregators":[{"Expression":"AWS:Application.Version"}]}]"#,
        ],
    );
    let rows = agg["Entities"][0]["Data"]["AWS:Application"]["Content"]
        .as_array()
        .unwrap();
    assert!(rows.len() > 50);
    assert!(
        rows.iter()
            .all(|r| r["Count"].as_str().unwrap().parse::<u32>().unwrap() > 0
                && r["Name"].is_string()
                && r["Version"].is_string())
    );
    // the agent the inventory lists is the agent the node reports
    let agent_rows: Vec<&serde_json::Value> = rows
        .iter()
        .filter(|r| r["Name"] == "Amazon SSM Agent" || r["Name"] == "amazon-ssm-agent")
        .collect();
    assert!(!agent_rows.is_empty());
    // groups: matching + not matching = every node
    let groups = common::aws_cli(
        &sim.url,
        d,
        &[],
        &[
            "ssm",
            "get-inventory",
            "--aggregators",
            "Groups=[{Name=Apps,Filters=[{Key=TypeName,Values=[AWS:Application],Type=Exists}]}]",
        ],
    );
    let content = groups["Entities"][0]["Data"]["Apps"]["Content"]
        .as_array()
        .unwrap();
    let count = |k: &str| -> usize {
        content
            .iter()
            .find_map(|c| c[k].as_str())
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(
        count("matchingCount") + count("notMatchingCount"),
        entities.len()
    );
    // a filter narrows the entities to the nodes running that application
    let some_app = rows[0]["Name"].as_str().unwrap();
    let filtered = common::aws_cli(
        &sim.url,
        d,
        &[],
        &[
            "ssm",
            "get-inventory",
            "--filters",
            &format!("Key=AWS:Application.Name,Values={some_app},Type=Equal"),
        ],
    );
    let n_with: u32 = rows
        .iter()
        .filter(|r| r["Name"] == some_app)
        .map(|r| r["Count"].as_str().unwrap().parse::<u32>().unwrap())
        .sum();
    let got = filtered["Entities"].as_array().unwrap().len() as u32;
    assert!(got >= 1 && got <= n_with, "{got} vs {n_with}");
    // the schema of the aggregatable types
    let schema = common::aws_cli(
        &sim.url,
        d,
        &[],
        &["ssm", "get-inventory-schema", "--aggregator"],
    );
    let app = schema["Schemas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["TypeName"] == "AWS:Application")
        .unwrap();
    let attrs: Vec<&str> = app["Attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["Name"].as_str().unwrap())
        .collect();
    assert_eq!(attrs, ["Name", "Version"]);
    // bad input: the model's and the service's errors
    let e = common::aws_cli_error(
        &sim.url,
        d,
        &[],
        &[
            "ssm",
            "get-inventory",
            "--aggregators",
            "Expression=AWS:Nope.Name",
        ],
    );
    assert!(e.contains("InvalidAggregatorException"), "{e}");
    let e = common::aws_cli_error(
        &sim.url,
        d,
        &[],
        &[
            "ssm",
            "get-inventory",
            "--filters",
            "Key=AWS:Application.Name,Values=x,Type=Exists",
        ],
    );
    assert!(e.contains("InvalidFilter"), "{e}");
    let e = common::aws_cli_error(
        &sim.url,
        d,
        &[],
        &["ssm", "get-inventory", "--max-results", "51"],
    );
    assert!(e.contains("ValidationException"), "{e}");
    let e = common::aws_cli_error(
        &sim.url,
        d,
        &[],
        &[
            "ssm",
            "get-inventory",
            "--result-attributes",
            "TypeName=AWS:Application",
        ],
    );
    assert!(e.contains("InvalidResultAttributeException"), "{e}");
}
