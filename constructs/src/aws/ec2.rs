//! EC2 security groups: `AWS::EC2::SecurityGroup`, `AWS::EC2::SecurityGroupIngress`,
//! `AWS::EC2::SecurityGroupEgress` (L1) and [`SecurityGroup`] (L2, which refuses inbound rules
//! from anywhere).

use crate::aws::Tag;
use crate::aws::codes;
use dpc_core::{Diagnostic, Expr, ResourceRef, Scope, Val};
use serde::Serialize;

/// `AWS::EC2::SecurityGroup`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ec2-securitygroup.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnSecurityGroup {
    /// `GroupDescription`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_description: Option<Expr>,
    /// `GroupName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_name: Option<Expr>,
    /// `VpcId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<Expr>,
    /// `SecurityGroupIngress`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security_group_ingress: Vec<IngressRule>,
    /// `SecurityGroupEgress`: when empty, EC2 adds its default allow-all egress rule.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security_group_egress: Vec<EgressRule>,
    /// `Tags`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

/// `AWS::EC2::SecurityGroup.Ingress`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct IngressRule {
    /// `IpProtocol`: `tcp`, `udp`, `icmp` or `-1`.
    pub ip_protocol: String,
    /// `FromPort`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_port: Option<Val<i32>>,
    /// `ToPort`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_port: Option<Val<i32>>,
    /// `CidrIp`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cidr_ip: Option<Expr>,
    /// `SourceSecurityGroupId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_security_group_id: Option<Expr>,
    /// `Description`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Expr>,
}

/// `AWS::EC2::SecurityGroup.Egress`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EgressRule {
    /// `IpProtocol`.
    pub ip_protocol: String,
    /// `FromPort`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_port: Option<Val<i32>>,
    /// `ToPort`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_port: Option<Val<i32>>,
    /// `CidrIp`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cidr_ip: Option<Expr>,
    /// `DestinationSecurityGroupId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_security_group_id: Option<Expr>,
    /// `Description`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Expr>,
}

/// `AWS::EC2::SecurityGroupIngress`: a rule added to a group from outside it.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ec2-securitygroupingress.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnSecurityGroupIngress {
    /// `GroupId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<Expr>,
    /// The rule itself.
    #[serde(flatten)]
    pub rule: IngressRule,
}

/// `AWS::EC2::SecurityGroupEgress`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ec2-securitygroupegress.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnSecurityGroupEgress {
    /// `GroupId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<Expr>,
    /// The rule itself.
    #[serde(flatten)]
    pub rule: EgressRule,
}

crate::aws::cfn_type!(CfnSecurityGroup, "AWS::EC2::SecurityGroup");
crate::aws::cfn_type!(CfnSecurityGroupIngress, "AWS::EC2::SecurityGroupIngress");
crate::aws::cfn_type!(CfnSecurityGroupEgress, "AWS::EC2::SecurityGroupEgress");

/// What a [`SecurityGroup`] is made of.
#[derive(Clone, Debug, Default)]
pub struct SecurityGroupProps {
    /// The group's name.
    pub name: Option<String>,
    /// What it is for.
    pub description: String,
    /// The VPC it belongs to.
    pub vpc_id: String,
    /// Inbound rules; never from `0.0.0.0/0` or `::/0`.
    pub ingress: Vec<IngressRule>,
    /// Outbound rules; EC2's default (all outbound allowed) when empty.
    pub egress: Vec<EgressRule>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// A security group (`AWS::EC2::SecurityGroup`, child `Resource`) that refuses inbound
/// rules open to the internet.
#[derive(Clone, Debug)]
pub struct SecurityGroup {
    resource: ResourceRef,
}

impl SecurityGroup {
    /// Adds the group under `scope/id`.
    ///
    /// # Errors
    /// `DM0307` for an inbound rule from `0.0.0.0/0` or `::/0`.
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        props: SecurityGroupProps,
    ) -> Result<SecurityGroup, Diagnostic> {
        let mut scope = scope.child(id)?;
        if let Some(open) = props.ingress.iter().find(|r| {
            r.cidr_ip
                .as_ref()
                .and_then(Expr::as_str)
                .is_some_and(|c| c.ends_with("/0"))
        }) {
            return Err(Diagnostic::error(
                codes::OPEN_SECURITY_GROUP,
                format!(
                    "security group rule allows inbound `{}` traffic from the whole internet",
                    open.ip_protocol
                ),
            )
            .in_construct(scope.path())
            .with_help("allow a security group or a private CIDR range instead"));
        }
        let resource = scope.add_resource(
            "Resource",
            CfnSecurityGroup {
                group_description: Some(props.description.into()),
                group_name: props.name.map(Expr::from),
                vpc_id: Some(props.vpc_id.into()),
                security_group_ingress: props.ingress,
                security_group_egress: props.egress,
                tags: props.tags,
            },
        )?;
        Ok(SecurityGroup { resource })
    }

    /// The group's id (`sg-…`).
    pub fn id(&self) -> Expr {
        self.resource.attr("GroupId")
    }

    /// The group's ARN, for IAM statements.
    pub fn arn(&self) -> Expr {
        Expr::sub_with(
            "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:security-group/${Id}",
            [("Id", self.id())],
        )
    }

    /// The group's resource handle.
    pub fn resource(&self) -> &ResourceRef {
        &self.resource
    }
}
