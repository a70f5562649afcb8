//! EC2 security groups: `AWS::EC2::SecurityGroup`, `AWS::EC2::SecurityGroupIngress`,
//! `AWS::EC2::SecurityGroupEgress` (L1) and [`SecurityGroup`] (L2, which refuses inbound rules
//! from anywhere).

use crate::aws::Tag;
use dpc_core::{Expr, Val};
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
