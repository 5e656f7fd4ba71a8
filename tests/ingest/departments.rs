use jixiao::ingest::v1 as pb;
use tonic::Code;

use crate::support::{TestIngest, assert_violation};

fn upsert_request(
    code: &str,
    name: &str,
    parent: &str,
    request_id: &str,
) -> pb::UpsertDepartmentRequest {
    pb::UpsertDepartmentRequest {
        validate_only: false,
        department: Some(pb::Department {
            code: code.into(),
            name: name.into(),
            parent_code: parent.into(),
            updated_at: None,
        }),
        request_id: request_id.into(),
    }
}

#[tokio::test]
async fn upsert_department_creates_then_updates_and_lists_by_code() {
    let mut ingest = TestIngest::start().await;
    let created = ingest
        .client
        .upsert_department(upsert_request("BY-LAND", "白云区土地中心", "", ""))
        .await
        .unwrap()
        .into_inner();
    assert!(created.created);
    ingest.upsert("BY-LAND.A", "报批科", "BY-LAND").await;
    let renamed = ingest
        .client
        .upsert_department(upsert_request(
            "BY-LAND",
            "广州市白云区土地资源利用和保护中心",
            "",
            "",
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!renamed.created);
    let departments = ingest.all_departments().await;
    let listed: Vec<(&str, &str, &str)> = departments
        .iter()
        .map(|d| (d.code.as_str(), d.name.as_str(), d.parent_code.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            ("BY-LAND", "广州市白云区土地资源利用和保护中心", ""),
            ("BY-LAND.A", "报批科", "BY-LAND")
        ]
    );
}

#[tokio::test]
async fn list_departments_pages_through_every_department_once() {
    let mut ingest = TestIngest::start().await;
    for index in 0..7 {
        ingest.upsert(&format!("D{index}"), "部门", "").await;
    }
    let mut seen = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = ingest
            .client
            .list_departments(pb::ListDepartmentsRequest {
                page_size: 3,
                page_token,
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.departments.len() <= 3);
        seen.extend(page.departments.into_iter().map(|d| d.code));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    assert_eq!(seen, ["D0", "D1", "D2", "D3", "D4", "D5", "D6"]);
    let status = ingest
        .client
        .list_departments(pb::ListDepartmentsRequest {
            page_size: 3,
            page_token: "not-a-token".into(),
        })
        .await
        .unwrap_err();
    assert_violation(&status, "page_token", "not a token");
}

#[tokio::test]
async fn upsert_department_refuses_a_missing_parent_and_stores_nothing() {
    let mut ingest = TestIngest::start().await;
    let status = ingest
        .client
        .upsert_department(upsert_request("UNIT", "单位", "MISSING", ""))
        .await
        .unwrap_err();
    assert_violation(
        &status,
        "department.parent_code",
        "unknown department \"MISSING\"",
    );
    assert!(ingest.all_departments().await.is_empty());
}

#[tokio::test]
async fn upsert_department_refuses_a_cycle_and_keeps_the_tree() {
    let mut ingest = TestIngest::start().await;
    ingest.upsert("A", "甲", "").await;
    ingest.upsert("B", "乙", "A").await;
    ingest.upsert("C", "丙", "B").await;
    let before = ingest.state().await;
    let status = ingest
        .client
        .upsert_department(upsert_request("A", "甲", "C", ""))
        .await
        .unwrap_err();
    assert_violation(&status, "department.parent_code", "cycle: A → C → B → A");
    let status = ingest
        .client
        .upsert_department(upsert_request("A", "甲", "A", ""))
        .await
        .unwrap_err();
    assert_violation(&status, "department.parent_code", "its own parent");
    assert_eq!(ingest.state().await, before);
}

#[tokio::test]
async fn upsert_department_names_each_bad_field() {
    let mut ingest = TestIngest::start().await;
    let status = ingest
        .client
        .upsert_department(upsert_request("白云", "  ", "", ""))
        .await
        .unwrap_err();
    assert_violation(&status, "department.code", "ASCII letters");
    assert_violation(&status, "department.name", "is required");
    let status = ingest
        .client
        .upsert_department(pb::UpsertDepartmentRequest {
            validate_only: false,
            department: None,
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_violation(&status, "department", "is required");
    assert!(ingest.all_departments().await.is_empty());
}

#[tokio::test]
async fn upsert_department_retried_with_its_request_id_answers_the_same() {
    let mut ingest = TestIngest::start().await;
    let first = ingest
        .client
        .upsert_department(upsert_request("A", "甲", "", "dept-1"))
        .await
        .unwrap()
        .into_inner();
    let retry = ingest
        .client
        .upsert_department(upsert_request("A", "甲", "", "dept-1"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first, retry);
    assert!(retry.created, "the retry answers as the first time");
    let status = ingest
        .client
        .upsert_department(upsert_request("A", "改名", "", "dept-1"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists);
    assert!(status.message().contains("dept-1"), "{}", status.message());
    assert_eq!(ingest.all_departments().await[0].name, "甲");
}
