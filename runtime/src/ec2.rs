//! The two EC2 calls the cleanup function needs when the account stack is deleted:
//! `DescribeSecurityGroupRules` and `RevokeSecurityGroupIngress`/`Egress` by rule id.
//!
//! EMR adds rules to its managed security groups that refer to the other groups;
//! CloudFormation cannot delete a group another group's rule refers to. Revoking
//! every rule of the groups first lets the deletion proceed. EC2's Query API is
//! called directly (form-encoded POST, SigV4 for `ec2`, XML answers read with the
//! SDK's own XML reader) rather than linking the EC2 SDK crate, the largest of all.

use crate::http::{HttpClient, signed_request};
use aws_smithy_xml::decode::{Document, try_data};
use std::sync::Arc;
use tracing::info;

/// EC2's Query API version.
pub const API_VERSION: &str = "2016-11-15";

/// One rule of a security group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// `sgr-...`.
    pub id: String,
    /// Outbound.
    pub egress: bool,
}

/// A small EC2 client.
#[derive(Clone, Debug)]
pub struct Ec2 {
    config: Arc<aws_config::SdkConfig>,
    http: HttpClient,
}

impl Ec2 {
    /// A client signing with `config`'s credentials, in its region (and at its
    /// endpoint override, in tests).
    pub fn new(config: &aws_config::SdkConfig, http: HttpClient) -> Ec2 {
        Ec2 {
            config: Arc::new(config.clone()),
            http,
        }
    }

    fn endpoint(&self, region: &str) -> String {
        match self.config.endpoint_url() {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => {
                let suffix = if region.starts_with("cn-") {
                    "amazonaws.com.cn"
                } else {
                    "amazonaws.com"
                };
                format!("https://ec2.{region}.{suffix}")
            }
        }
    }

    /// Calls one EC2 Query API action (`Action`, `Version` and its parameters);
    /// returns the XML answer.
    ///
    /// # Errors
    /// No answer, or an error answer.
    pub async fn call(&self, params: &[(&str, String)]) -> Result<String, String> {
        let region = self
            .config
            .region()
            .map(|r| r.as_ref().to_string())
            .ok_or("no AWS region is configured")?;
        let url = format!("{}/", self.endpoint(&region));
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())))
            .finish();
        let credentials = crate::aws::credentials(&self.config).await?;
        let request = signed_request(
            http::Method::POST,
            &url,
            "application/x-www-form-urlencoded; charset=utf-8",
            body.into_bytes(),
            &credentials,
            &region,
            "ec2",
        )
        .map_err(|e| e.to_string())?;
        let response = self.http.send(request).await.map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&response.body).to_string();
        if !response.is_success() {
            return Err(format!(
                "EC2 answered HTTP {}: {}",
                response.status,
                crate::http::truncate(&text, 500)
            ));
        }
        Ok(text)
    }

    /// Every rule of `group`.
    ///
    /// # Errors
    /// EC2's refusal or an unreadable answer.
    pub async fn rules(&self, group: &str) -> Result<Vec<Rule>, String> {
        let mut rules = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut params = vec![
                ("Action", "DescribeSecurityGroupRules".to_string()),
                ("Version", API_VERSION.to_string()),
                ("Filter.1.Name", "group-id".to_string()),
                ("Filter.1.Value.1", group.to_string()),
            ];
            if let Some(t) = token.take() {
                params.push(("NextToken", t));
            }
            let xml = self.call(&params).await?;
            let (page, next) = parse_rules(&xml)?;
            rules.extend(page);
            match next {
                Some(t) if !t.is_empty() => token = Some(t),
                _ => break,
            }
        }
        Ok(rules)
    }

    /// Revokes every rule of `group`; returns how many.
    ///
    /// # Errors
    /// EC2's refusal.
    pub async fn revoke_all(&self, group: &str) -> Result<usize, String> {
        let rules = self.rules(group).await?;
        for (egress, action) in [
            (false, "RevokeSecurityGroupIngress"),
            (true, "RevokeSecurityGroupEgress"),
        ] {
            let ids: Vec<&Rule> = rules.iter().filter(|r| r.egress == egress).collect();
            // EC2 takes many rule ids per call; 100 keeps the request small.
            for chunk in ids.chunks(100) {
                let mut params = vec![
                    ("Action", action.to_string()),
                    ("Version", API_VERSION.to_string()),
                    ("GroupId", group.to_string()),
                ];
                let keys: Vec<String> = (1..=chunk.len())
                    .map(|i| format!("SecurityGroupRuleId.{i}"))
                    .collect();
                for (key, rule) in keys.iter().zip(chunk) {
                    params.push((key.as_str(), rule.id.clone()));
                }
                self.call(&params).await?;
            }
        }
        info!(
            group,
            rules = rules.len(),
            "revoked the security group's rules"
        );
        Ok(rules.len())
    }
}

/// The rules and the next token of a `DescribeSecurityGroupRules` answer.
///
/// # Errors
/// Unreadable XML.
pub fn parse_rules(xml: &str) -> Result<(Vec<Rule>, Option<String>), String> {
    let bad = |e: aws_smithy_xml::decode::XmlDecodeError| {
        format!("EC2's answer is not readable XML: {e}")
    };
    let mut doc = Document::new(xml);
    let mut root = doc.root_element().map_err(bad)?;
    let mut rules = Vec::new();
    let mut next = None;
    while let Some(mut tag) = root.next_tag() {
        if tag.start_el().matches("securityGroupRuleSet") {
            while let Some(mut item) = tag.next_tag() {
                let (mut id, mut egress) = (None, false);
                while let Some(mut field) = item.next_tag() {
                    if field.start_el().matches("securityGroupRuleId") {
                        id = Some(try_data(&mut field).map_err(bad)?.to_string());
                    } else if field.start_el().matches("isEgress") {
                        egress = try_data(&mut field).map_err(bad)?.trim() == "true";
                    }
                }
                if let Some(id) = id {
                    rules.push(Rule { id, egress });
                }
            }
        } else if tag.start_el().matches("nextToken") {
            next = Some(try_data(&mut tag).map_err(bad)?.to_string());
        }
    }
    Ok((rules, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rules_and_the_next_token() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeSecurityGroupRulesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>r</requestId>
  <securityGroupRuleSet>
    <item><securityGroupRuleId>sgr-1</securityGroupRuleId><groupId>sg-a</groupId><isEgress>false</isEgress>
      <tagSet><item><key>k</key><value>v</value></item></tagSet><ipProtocol>-1</ipProtocol></item>
    <item><groupId>sg-a</groupId><isEgress>true</isEgress><securityGroupRuleId>sgr-2</securityGroupRuleId></item>
  </securityGroupRuleSet>
  <nextToken>more</nextToken>
</DescribeSecurityGroupRulesResponse>"#;
        let (rules, next) = parse_rules(xml).unwrap();
        assert_eq!(
            rules,
            [
                Rule {
                    id: "sgr-1".into(),
                    egress: false
                },
                Rule {
                    id: "sgr-2".into(),
                    egress: true
                }
            ]
        );
        assert_eq!(next.as_deref(), Some("more"));
    }
}
