//! Checks of a results folder against the contract `scopecloud-worker schema` prints.

use super::{bytes, json, worker};
use serde_json::Value;
use std::path::Path;

/// The `.npy` header's dtype descriptor and shape, as written.
fn npy_header(path: &Path) -> (String, Vec<usize>) {
    let b = bytes(path);
    assert_eq!(&b[..6], b"\x93NUMPY", "{}", path.display());
    let len = u16::from_le_bytes([b[8], b[9]]) as usize;
    let h = std::str::from_utf8(&b[10..10 + len]).unwrap();
    let descr = h
        .split("'descr': '")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    let shape = h
        .split("'shape': (")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap();
    let dims = shape
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| d.parse().unwrap())
        .collect();
    (descr.to_string(), dims)
}

/// The folder `command` wrote matches the contract: every file it always writes is there, arrays
/// have their dtype and shape, ROI records their fields in order, versioned documents their
/// version, progress lines and the summary known step names.
pub fn check_against_schema(dir: &Path, command: &str, progress: &str) {
    let o = worker(&["schema"]);
    assert!(o.status.success());
    let schema: Value = serde_json::from_slice(&o.stdout).unwrap();
    let version = schema["schema"].clone();
    let rois = json(&dir.join("rois.json"));
    let (n, frames) = (
        rois["rois"].as_array().unwrap().len(),
        json(&dir.join("summary.json"))["counts"]["frames"]
            .as_u64()
            .unwrap() as usize,
    );
    let mut checked = 0;
    for f in schema["files"].as_array().unwrap() {
        let name = f["name"].as_str().unwrap();
        let by: Vec<&str> = f["written_by"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        if !by.contains(&command) || name.contains('{') || name.contains('<') {
            continue;
        }
        let path = dir.join(name);
        if !f["when"].as_str().unwrap().starts_with("always") {
            continue;
        }
        assert!(path.is_file(), "{command}: {name} missing");
        checked += 1;
        if f["kind"] == "npy" {
            let (descr, shape) = npy_header(&path);
            assert_eq!(Some(descr.as_str()), f["dtype"].as_str(), "{name}");
            let want: Vec<usize> = f["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| match d.as_str().unwrap() {
                    "rois" => n,
                    "frames" => frames,
                    k => k.parse().unwrap(),
                })
                .collect();
            assert_eq!(shape, want, "{name}");
        }
    }
    assert!(checked >= 10, "only {checked} files checked");
    for doc in schema["versioned_documents"].as_array().unwrap() {
        let path = dir.join(doc.as_str().unwrap());
        assert_eq!(json(&path)["schema"], version, "{}", path.display());
    }
    let fields: Vec<&str> = schema["roi_record"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    for r in rois["rois"].as_array().unwrap() {
        let keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        let mut sorted_fields = fields.clone();
        sorted_fields.sort_unstable();
        assert_eq!(keys, sorted_fields, "ROI record fields"); // serde_json sorts keys
    }
    let mut region_fields: Vec<&str> = schema["region_record"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    region_fields.sort_unstable();
    let regions = json(&dir.join("regions.json"));
    assert_eq!(regions.as_array().unwrap().len(), n);
    for g in regions.as_array().unwrap() {
        let keys: Vec<&str> = g.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, region_fields, "region record fields"); // serde_json sorts keys
    }
    let text = std::fs::read_to_string(dir.join("rois.json")).unwrap();
    let first = text.find("\"id\"").unwrap();
    let mut at = first;
    for f in &fields {
        let p = text[first..].find(&format!("\"{f}\"")).unwrap() + first;
        assert!(p >= at, "{f} out of order in rois.json");
        at = p;
    }
    let steps: Vec<&str> = schema["progress_steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for line in progress.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        assert!(steps.contains(&v["step"].as_str().unwrap()), "{line}");
    }
    let summary = json(&dir.join("summary.json"));
    let step = summary["parameters"]["step"].clone();
    assert!(schema["summary_steps"].as_array().unwrap().contains(&step));
    // The input's voxel size (a merge of different inputs has no input): the schema's fields,
    // each of its JSON type.
    if summary["input"].is_object() {
        let voxel = summary["input"]["voxel_size"]
            .as_object()
            .expect("input.voxel_size");
        let specs = schema["summary_voxel_size"].as_array().unwrap();
        assert_eq!(voxel.len(), specs.len(), "input.voxel_size fields");
        for f in specs {
            let v = &voxel[f["name"].as_str().unwrap()];
            let ok = match f["type"].as_str().unwrap() {
                "number|null" => v.is_null() || v.as_f64().is_some_and(|x| x > 0.0),
                "string|null" => v.is_null() || v.is_string(),
                t => panic!("unexpected type {t}"),
            };
            assert!(ok, "input.voxel_size.{}: {v}", f["name"]);
        }
    }
}
