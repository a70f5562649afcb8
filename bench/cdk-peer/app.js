#!/usr/bin/env node
// The AWS CDK side of dpc's benchmark: the same organisation (platform.yaml and every
// pipeline.yaml below it) built with aws-cdk-lib's constructs, stack for stack where the
// CDK has a construct for what dpc makes, and synthesized with app.synth().
//
//   node app.js --org DIR --out DIR
//
// On stdout, one line `CDK-PEER {json}`: phase times (ms), stacks, resources, files and
// bytes written, and the process's peak memory (VmHWM, KiB).
'use strict';

const started = process.hrtime.bigint();
const ms = (from, to) => Number(to - from) / 1e6;

const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');
const cdk = require('aws-cdk-lib');
const { Construct } = require('constructs');
const iam = require('aws-cdk-lib/aws-iam');
const kms = require('aws-cdk-lib/aws-kms');
const events = require('aws-cdk-lib/aws-events');
const targets = require('aws-cdk-lib/aws-events-targets');
const dynamodb = require('aws-cdk-lib/aws-dynamodb');
const lambda = require('aws-cdk-lib/aws-lambda');
const sqs = require('aws-cdk-lib/aws-sqs');
const sns = require('aws-cdk-lib/aws-sns');
const subs = require('aws-cdk-lib/aws-sns-subscriptions');
const cloudwatch = require('aws-cdk-lib/aws-cloudwatch');
const cwActions = require('aws-cdk-lib/aws-cloudwatch-actions');
const apigw = require('aws-cdk-lib/aws-apigateway');
const s3 = require('aws-cdk-lib/aws-s3');
const ec2 = require('aws-cdk-lib/aws-ec2');
const emr = require('aws-cdk-lib/aws-emr');
const logs = require('aws-cdk-lib/aws-logs');
const logsDestinations = require('aws-cdk-lib/aws-logs-destinations');
const sfn = require('aws-cdk-lib/aws-stepfunctions');
const tasks = require('aws-cdk-lib/aws-stepfunctions-tasks');
const cr = require('aws-cdk-lib/custom-resources');
const required = process.hrtime.bigint();

function args(argv) {
  const out = {};
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (argv[i + 1] === undefined) throw new Error(`--${key} needs a value`);
    out[key] = argv[i + 1];
  }
  if (!out.org || !out.out) throw new Error('usage: node app.js --org DIR --out DIR');
  return out;
}

// ---------------------------------------------------------------------------------------
// Reading the organisation (the same files dpc reads; dpc's loader also checks them).

const SKIPPED = new Set(['cdk.out', 'target', 'node_modules']);

function findProjects(dir, out, found) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name < b.name ? -1 : 1)) {
    if (entry.name.startsWith('.') || SKIPPED.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (path.resolve(full) === path.resolve(out)) continue;
    if (entry.isDirectory()) findProjects(full, out, found);
    else if (entry.isFile() && entry.name === 'pipeline.yaml') found.push(full);
  }
  return found;
}

function loadOrganisation(dir, out) {
  const platform = YAML.parse(fs.readFileSync(path.join(dir, 'platform.yaml'), 'utf8'));
  const accounts = new Map();
  for (const [alias, a] of Object.entries(platform.accounts)) {
    const account = { alias, id: String(a.id), region: a.region, network: a.network };
    accounts.set(alias, account);
    accounts.set(account.id, account);
  }
  const resolve = (ref) => {
    const account = accounts.get(String(ref));
    if (!account) throw new Error(`unknown account ${ref}`);
    return account;
  };
  const pipelines = findProjects(dir, out, []).map((file) => {
    const p = YAML.parse(fs.readFileSync(file, 'utf8'));
    p.account = resolve(p.account);
    return p;
  });
  return { platform, accounts: Object.keys(platform.accounts).map((a) => accounts.get(a)), pipelines, resolve };
}

// ---------------------------------------------------------------------------------------
// Shared helpers.

const RUNTIME = path.join(__dirname, 'runtime');
const arn = (service, account, region, resource) => `arn:aws:${service}:${region}:${account}:${resource}`;

function fn(scope, id, name, extra = {}) {
  return new lambda.Function(scope, id, {
    functionName: name,
    runtime: lambda.Runtime.PROVIDED_AL2023,
    architecture: lambda.Architecture.X86_64,
    handler: 'bootstrap',
    code: lambda.Code.fromAsset(RUNTIME),
    memorySize: 256,
    timeout: cdk.Duration.seconds(60),
    tracing: lambda.Tracing.ACTIVE,
    logGroup: new logs.LogGroup(scope, `${id}Logs`, {
      logGroupName: `/aws/lambda/${name}`,
      retention: logs.RetentionDays.ONE_MONTH,
    }),
    environment: { DPC_ROLE: name, ...extra },
  });
}

function audience(org) {
  return org.platform.central.organizationId
    ? { condition: { StringEquals: { 'aws:PrincipalOrgID': org.platform.central.organizationId } }, principal: new iam.AnyPrincipal() }
    : { condition: undefined, principal: new iam.CompositePrincipal(...org.accounts.map((a) => new iam.AccountPrincipal(a.id))) };
}

// ---------------------------------------------------------------------------------------
// dpc-central: bus, policy, tables, Lambdas, rules, APIs.

class Central extends cdk.Stack {
  constructor(scope, org) {
    const c = org.platform.central;
    super(scope, 'dpc-central', { stackName: 'dpc-central', env: { account: String(c.account), region: c.region } });
    const busName = c.busName || 'data-pipelines-central';
    const key = new kms.Key(this, 'Key', { enableKeyRotation: true, alias: 'dpc/central' });
    const bus = new events.EventBus(this, 'Bus', { eventBusName: busName });
    const who = audience(org);
    bus.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'dpc-accounts', actions: ['events:PutEvents'], resources: [bus.eventBusArn],
      principals: [who.principal], conditions: who.condition,
    }));
    const table = (id, pk, sk) => new dynamodb.TableV2(this, id, {
      tableName: `dpc-${id.toLowerCase()}`,
      partitionKey: { name: pk, type: dynamodb.AttributeType.STRING },
      sortKey: sk ? { name: sk, type: dynamodb.AttributeType.STRING } : undefined,
      billing: dynamodb.Billing.onDemand(),
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(key),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: cdk.RemovalPolicy.RETAIN,
    });
    const runLog = table('RunLog', 'pipeline', 'time');
    const dependencies = table('Dependencies', 'pipeline');
    const triggers = table('Triggers', 'pipeline', 'record');
    const channels = table('SlackChannels', 'pipeline');
    const threads = table('SlackThreads', 'execution');

    const dlq = new sqs.Queue(this, 'DeadLetters', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key, enforceSSL: true });
    const alarms = new sns.Topic(this, 'Alarms', { topicName: 'dpc-central-alarms', masterKey: key });
    const manager = fn(this, 'TriggerManager', 'dpc-trigger-manager', { BUS: busName });
    for (const t of [runLog, dependencies, triggers]) t.grantReadWriteData(manager);
    bus.grantPutEventsTo(manager);
    new events.Rule(this, 'TriggerManagerRule', {
      ruleName: 'dpc-trigger-manager', eventBus: bus,
      eventPattern: { source: ['aws.states', 'dpc.pipeline'], detailType: ['Step Functions Execution Status Change', 'Pipeline Status Change'] },
      targets: [new targets.LambdaFunction(manager, { deadLetterQueue: dlq, retryAttempts: 8, maxEventAge: cdk.Duration.hours(2) })],
    });
    new cloudwatch.Alarm(this, 'ManagerErrors', { metric: manager.metricErrors(), threshold: 1, evaluationPeriods: 1 })
      .addAlarmAction(new cwActions.SnsAction(alarms));
    new cloudwatch.Alarm(this, 'DeadLetterDepth', { metric: dlq.metricApproximateNumberOfMessagesVisible(), threshold: 1, evaluationPeriods: 1 })
      .addAlarmAction(new cwActions.SnsAction(alarms));

    for (const account of org.accounts) {
      const target = events.EventBus.fromEventBusArn(this, `Bus-${account.alias}`, arn('events', account.id, account.region, 'event-bus/dpc-pipelines'));
      new events.Rule(this, `Forward-${account.alias}`, {
        ruleName: `dpc-forward-${account.alias}`, eventBus: bus,
        eventPattern: { source: ['dpc.orchestrator'], detailType: ['Pipeline Trigger'], detail: { account: [account.id] } },
        targets: [new targets.EventBus(target)],
      });
    }

    const writer = fn(this, 'DependenciesWriter', 'dpc-dependencies-writer');
    dependencies.grantReadWriteData(writer);
    const channelWriter = fn(this, 'SlackChannelWriter', 'dpc-slack-channel-writer');
    channels.grantReadWriteData(channelWriter);
    const poster = fn(this, 'SlackPoster', 'dpc-slack-poster');
    threads.grantReadWriteData(poster);
    const token = cdk.aws_secretsmanager.Secret.fromSecretNameV2(this, 'SlackToken', (c.slack && c.slack.tokenSecretName) || 'dpc/slack-token');
    token.grantRead(poster);
    const policy = new iam.PolicyDocument({ statements: [new iam.PolicyStatement({
      actions: ['execute-api:Invoke'], resources: ['execute-api:/*'], principals: [who.principal], conditions: who.condition,
    })] });
    const api = (id, name, routes) => {
      const rest = new apigw.RestApi(this, id, {
        restApiName: name, policy, cloudWatchRole: id === 'DependencyApi',
        defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM },
        deployOptions: {
          tracingEnabled: true, throttlingRateLimit: 50, throttlingBurstLimit: 100,
          accessLogDestination: new apigw.LogGroupLogDestination(new logs.LogGroup(this, `${id}Access`, { retention: logs.RetentionDays.ONE_MONTH })),
          accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
        },
      });
      for (const [route, handler] of routes) {
        rest.root.addResource(route).addMethod('POST', new apigw.LambdaIntegration(handler));
      }
      return rest;
    };
    api('DependencyApi', 'dpc-dependencies', [['dependencies', writer]]);
    api('SlackApi', 'dpc-slack', [['channels', channelWriter], ['messages', poster]]);
  }
}

// ---------------------------------------------------------------------------------------
// dpc-account-<alias>: pipeline bus, export rule, bucket, EMR roles, Lambdas, provider.

class AccountSetup extends cdk.Stack {
  constructor(scope, org, account) {
    super(scope, `dpc-account-${account.alias}`, { stackName: `dpc-account-${account.alias}`, env: { account: account.id, region: account.region } });
    const c = org.platform.central;
    const central = String(c.account);
    const bus = new events.EventBus(this, 'PipelineBus', { eventBusName: 'dpc-pipelines' });
    bus.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'central', actions: ['events:PutEvents'], resources: [bus.eventBusArn], principals: [new iam.AccountPrincipal(central)],
    }));
    const centralBus = events.EventBus.fromEventBusArn(this, 'CentralBus', arn('events', central, c.region, `event-bus/${c.busName || 'data-pipelines-central'}`));
    new events.Rule(this, 'Export', {
      ruleName: 'export-events-to-central-bus',
      eventPattern: { source: ['aws.states', 'dpc.pipeline'], detail: { stateMachineArn: [{ prefix: arn('states', account.id, account.region, 'stateMachine:dpc-') }] } },
      targets: [new targets.EventBus(centralBus)],
    });
    const bucket = new s3.Bucket(this, 'Artifacts', {
      bucketName: `dpc-artifacts-${account.id}-${account.region}`,
      encryption: s3.BucketEncryption.S3_MANAGED, enforceSSL: true, versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL, removalPolicy: cdk.RemovalPolicy.RETAIN,
      lifecycleRules: [{ prefix: 'logs/', expiration: cdk.Duration.days(90) }],
    });
    const vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: account.network.vpcId, availabilityZones: [`${account.region}a`],
      privateSubnetIds: account.network.subnetIds.slice(0, 1),
    });
    const master = new ec2.SecurityGroup(this, 'EmrMaster', { vpc, allowAllOutbound: true, description: 'dpc EMR master' });
    const slave = new ec2.SecurityGroup(this, 'EmrCore', { vpc, allowAllOutbound: true, description: 'dpc EMR core and task' });
    const access = new ec2.SecurityGroup(this, 'EmrServiceAccess', { vpc, allowAllOutbound: false, description: 'dpc EMR service access' });
    master.connections.allowFrom(slave, ec2.Port.allTraffic());
    slave.connections.allowFrom(master, ec2.Port.allTraffic());
    access.connections.allowTo(master, ec2.Port.tcp(8443));
    const serviceRole = new iam.Role(this, 'EmrServiceRole', {
      roleName: 'dpc-emr-service', assumedBy: new iam.ServicePrincipal('elasticmapreduce.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonEMRServicePolicy_v2')],
    });
    bucket.grantReadWrite(serviceRole);
    const instanceRole = new iam.Role(this, 'EmrInstanceRole', { roleName: 'dpc-emr-instance', assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    bucket.grantReadWrite(instanceRole);
    new iam.CfnInstanceProfile(this, 'EmrInstanceProfile', { instanceProfileName: 'dpc-emr-instance', roles: [instanceRole.roleName] });
    new iam.Role(this, 'EmrAutoScalingRole', {
      roleName: 'dpc-emr-autoscaling',
      assumedBy: new iam.CompositePrincipal(new iam.ServicePrincipal('elasticmapreduce.amazonaws.com'), new iam.ServicePrincipal('application-autoscaling.amazonaws.com')),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonElasticMapReduceforAutoScalingRole')],
    });
    new emr.CfnSecurityConfiguration(this, 'EmrSecurity', {
      name: 'dpc-emr',
      securityConfiguration: { EncryptionConfiguration: {
        EnableInTransitEncryption: false, EnableAtRestEncryption: true,
        AtRestEncryptionConfiguration: { S3EncryptionConfiguration: { EncryptionMode: 'SSE-S3' }, LocalDiskEncryptionConfiguration: { EncryptionKeyProviderType: 'AwsKms', AwsKmsKey: `alias/aws/ebs`, EnableEbsEncryption: true } },
      } },
    });
    const tracker = fn(this, 'ExecutionTracker', 'dpc-execution-tracker');
    tracker.addToRolePolicy(new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [centralBus.eventBusArn] }));
    const slack = fn(this, 'SlackCaller', 'dpc-slack-caller');
    slack.addToRolePolicy(new iam.PolicyStatement({ actions: ['execute-api:Invoke'], resources: [arn('execute-api', central, c.region, '*/*/POST/messages')] }));
    const cleanup = fn(this, 'Cleanup', 'dpc-cleanup');
    cleanup.addToRolePolicy(new iam.PolicyStatement({ actions: ['elasticmapreduce:TerminateJobFlows', 'elasticmapreduce:ListClusters'], resources: ['*'] }));
    const registration = fn(this, 'Registration', 'dpc-registration');
    registration.addToRolePolicy(new iam.PolicyStatement({ actions: ['execute-api:Invoke'], resources: [arn('execute-api', central, c.region, '*/*/POST/*')] }));
    new cr.Provider(this, 'RegistrationProvider', { onEventHandler: registration, providerFunctionName: 'dpc-registration-provider' });
    for (const f of [tracker, slack, cleanup]) {
      f.addPermission('FromLogsAndSns', { principal: new iam.ServicePrincipal('logs.amazonaws.com'), sourceArn: arn('logs', account.id, account.region, 'log-group:/aws/vendedlogs/states/dpc-*') });
    }
  }
}

// ---------------------------------------------------------------------------------------
// dpc-pipeline-<name>: state machine with EMR tasks, rules, topic, log group, custom resources.

const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

function schedule(trigger) {
  if (trigger.cron) {
    return events.Schedule.expression(`cron(${trigger.cron})`);
  }
  const s = trigger.schedule || trigger;
  const cron = { hour: String(s.hour), minute: String(s.minute || 0) };
  if (s.weekDays) cron.weekDay = s.weekDays.filter((d) => DAYS.includes(d)).join(',');
  return events.Schedule.cron(cron);
}

function conditionItems(entries, out) {
  for (const e of entries || []) {
    if (e.name) out.push(e);
    conditionItems(e.allOf, out);
    conditionItems(e.anyOf, out);
  }
  return out;
}

function sparkArgs(step) {
  const conf = Object.entries(step.sparkConf || {}).flatMap(([k, v]) => ['--conf', `${k}=${v}`]);
  const main = step.mainClass ? ['--class', step.mainClass] : [];
  return ['spark-submit', '--deploy-mode', 'cluster', ...conf, ...main, step.script, ...(step.args || [])];
}

// Steps in dependency levels: each level's steps run at the same time.
function levels(steps) {
  const dag = steps.some((s) => s.dependsOn);
  if (!dag) return steps.map((s) => [s]);
  const level = new Map();
  const depth = (s) => {
    if (level.has(s.name)) return level.get(s.name);
    const d = Math.max(-1, ...(s.dependsOn || []).map((n) => depth(steps.find((x) => x.name === n)))) + 1;
    level.set(s.name, d);
    return d;
  };
  steps.forEach(depth);
  const out = [];
  for (const s of steps) (out[level.get(s.name)] ||= []).push(s);
  return out;
}

class PipelineStack extends cdk.Stack {
  constructor(scope, org, p) {
    const account = p.account;
    super(scope, `dpc-pipeline-${account.alias}-${p.name}`, {
      stackName: `dpc-pipeline-${p.name}`, env: { account: account.id, region: account.region },
      tags: p.tags || {},
    });
    const defaults = (org.platform.defaults && org.platform.defaults.emr) || {};
    const cluster = p.cluster || {};
    const serviceRole = iam.Role.fromRoleName(this, 'EmrService', 'dpc-emr-service');
    const autoScalingRole = iam.Role.fromRoleName(this, 'EmrAutoScaling', 'dpc-emr-autoscaling');
    const bucket = `dpc-artifacts-${account.id}-${account.region}`;

    const group = (g, fallbackType, fallbackCount, role) => ({
      instanceRole: role, instanceCount: g && g.count !== undefined ? g.count : fallbackCount,
      instanceType: (g && g.instanceType) || fallbackType,
      market: g && g.market === 'SPOT' ? tasks.EmrCreateCluster.InstanceMarket.SPOT : tasks.EmrCreateCluster.InstanceMarket.ON_DEMAND,
      ebsConfiguration: cluster.ebsSizeGb ? { ebsBlockDeviceConfigs: [{ volumeSpecification: { volume: { sizeInGb: cluster.ebsSizeGb, type: tasks.EmrCreateCluster.EbsBlockDeviceVolumeType.GP3 } } }] } : undefined,
    });
    const type = defaults.instanceType || 'm5.xlarge';
    const instanceGroups = [
      group(cluster.master, type, 1, tasks.EmrCreateCluster.InstanceRoleType.MASTER),
      group(cluster.core, type, defaults.coreInstances || 2, tasks.EmrCreateCluster.InstanceRoleType.CORE),
    ];
    if (cluster.task) instanceGroups.push(group(cluster.task, type, 1, tasks.EmrCreateCluster.InstanceRoleType.TASK));
    const create = new tasks.EmrCreateCluster(this, 'CreateCluster', {
      name: `dpc-${p.name}`, releaseLabel: cluster.releaseLabel || defaults.releaseLabel,
      applications: [{ name: 'Spark' }, ...(cluster.hiveMetastore ? [{ name: 'Hive' }] : [])],
      serviceRole, autoScalingRole, logUri: `s3://${bucket}/logs/${p.name}/`,
      securityConfiguration: 'dpc-emr', visibleToAllUsers: true,
      instances: { instanceGroups, ec2SubnetId: account.network.subnetIds[0] },
      configurations: (cluster.configurations || []).map((c) => ({ classification: c.classification, properties: c.properties })),
      tags: { 'dpc:pipeline': p.name },
      resultPath: '$.cluster',
    });
    const access = p.access || {};
    const s3arn = (uri) => `arn:aws:s3:::${uri.replace(/^s3:\/\//, '')}`;
    if ((access.read || []).length) create.clusterRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:ListBucket'], resources: access.read.flatMap((u) => [s3arn(u), `${s3arn(u)}*`]) }));
    if ((access.write || []).length) create.clusterRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket'], resources: access.write.flatMap((u) => [s3arn(u), `${s3arn(u)}*`]) }));
    if ((access.glueDatabases || []).length) create.clusterRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions', 'glue:CreateTable', 'glue:UpdateTable'], resources: access.glueDatabases.map((d) => arn('glue', account.id, account.region, `database/${d}`)) }));

    const clusterId = sfn.JsonPath.stringAt('$.cluster.ClusterId');
    const stepTask = (s) => new tasks.EmrAddStep(this, `Step-${s.name}`, {
      clusterId, name: s.name, jar: 'command-runner.jar',
      args: s.type === 'shell' ? ['bash', '-c', s.command] : sparkArgs(s),
      actionOnFailure: tasks.ActionOnFailure.CONTINUE,
      resultPath: sfn.JsonPath.DISCARD,
      taskTimeout: s.timeout ? sfn.Timeout.duration(cdk.Duration.hours(parseInt(s.timeout, 10) || 1)) : undefined,
    }).addRetry({ maxAttempts: s.retries || 0, errors: ['States.TaskFailed'] });
    let chain;
    for (const level of levels(p.steps)) {
      let part;
      if (level.length === 1) part = stepTask(level[0]);
      else {
        part = new sfn.Parallel(this, `Together-${level.map((s) => s.name).join('-')}`, { resultPath: sfn.JsonPath.DISCARD });
        for (const s of level) part.branch(stepTask(s));
      }
      chain = chain ? chain.next(part) : sfn.Chain.start(part);
    }
    const run = new sfn.Parallel(this, 'RunSteps', { resultPath: sfn.JsonPath.DISCARD }).branch(chain);
    const central = org.platform.central;
    const centralBus = events.EventBus.fromEventBusArn(this, 'CentralBus', arn('events', String(central.account), central.region, `event-bus/${central.busName || 'data-pipelines-central'}`));
    const report = (id, status) => new tasks.EventBridgePutEvents(this, id, {
      entries: [{ eventBus: centralBus, source: 'dpc.pipeline', detailType: 'Pipeline Status Change',
        detail: sfn.TaskInput.fromObject({ executionArn: sfn.JsonPath.executionId, name: p.name, status }) }],
      resultPath: sfn.JsonPath.DISCARD,
    });
    const terminate = (id) => new tasks.EmrTerminateCluster(this, id, { clusterId, resultPath: sfn.JsonPath.DISCARD });
    run.addCatch(terminate('TerminateAfterFailure').next(report('ReportFailed', 'FAILED')).next(new sfn.Fail(this, 'Failed')), { resultPath: '$.error' });
    const definition = create.next(run).next(terminate('Terminate')).next(report('ReportSucceeded', 'SUCCEEDED')).next(new sfn.Succeed(this, 'Done'));

    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/dpc-${p.name}`, retention: logs.RetentionDays.ONE_MONTH,
    });
    const machine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: `dpc-${p.name}`, definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: cdk.Duration.hours(parseInt(p.timeout, 10) || 12), tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    const tracker = lambda.Function.fromFunctionArn(this, 'Tracker', arn('lambda', account.id, account.region, 'function:dpc-execution-tracker'));
    new logs.SubscriptionFilter(this, 'TrackExecutions', {
      logGroup, destination: new logsDestinations.LambdaDestination(tracker, { addPermissions: false }),
      filterPattern: logs.FilterPattern.anyTerm('ExecutionStarted', 'ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut'),
    });

    const trigger = p.trigger || {};
    const enabled = p.enabled !== false;
    if (trigger.executions) {
      const bus = events.EventBus.fromEventBusName(this, 'PipelineBus', 'dpc-pipelines');
      new events.Rule(this, 'Trigger', {
        eventBus: bus, enabled,
        eventPattern: { source: ['dpc.orchestrator'], detailType: ['Pipeline Trigger'], detail: { pipeline: [p.name], account: [account.id] } },
        targets: [new targets.SfnStateMachine(machine, { input: events.RuleTargetInput.fromEventPath('$.detail') })],
      });
    } else if (trigger.cron || trigger.schedule || trigger.hour !== undefined) {
      new events.Rule(this, 'Schedule', { schedule: schedule(trigger), enabled, targets: [new targets.SfnStateMachine(machine)] });
    }

    const n = p.notifications;
    if (n) {
      const topic = new sns.Topic(this, 'Notifications', { topicName: `dpc-${p.name}-notifications`, masterKey: kms.Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns') });
      const caller = lambda.Function.fromFunctionArn(this, 'SlackCaller', arn('lambda', account.id, account.region, 'function:dpc-slack-caller'));
      for (const t of n.targets) {
        if (t.channel === 'EMAIL') for (const a of t.addresses) topic.addSubscription(new subs.EmailSubscription(a));
      }
      // Slack and OpsGenie both go through the account's caller Lambda: one subscription.
      if (n.targets.some((t) => t.channel !== 'EMAIL')) topic.addSubscription(new subs.LambdaSubscription(caller));
      const statuses = n.type === 'FULL_EXECUTION' ? undefined : (n.onStatus || ['FAILED', 'TIMED_OUT', 'ABORTED']);
      new events.Rule(this, 'Notify', {
        eventPattern: { source: ['aws.states'], detailType: ['Step Functions Execution Status Change'], detail: { stateMachineArn: [machine.stateMachineArn], ...(statuses ? { status: statuses } : {}) } },
        targets: [new targets.SnsTopic(topic)],
      });
    }

    const provider = arn('lambda', account.id, account.region, 'function:dpc-registration-provider');
    const parents = conditionItems([...(trigger.executions ? [trigger.executions] : [])], []);
    new cdk.CustomResource(this, 'Registration', {
      serviceToken: provider, resourceType: 'Custom::DpcRegistration',
      properties: { pipeline: p.name, account: account.id, condition: JSON.stringify(trigger.executions || null), parents: parents.map((i) => `${i.name}@${i.account}`) },
    });
    const channels = n ? n.targets.filter((t) => t.channel === 'SLACK').flatMap((t) => t.addresses) : [];
    if (channels.length) {
      new cdk.CustomResource(this, 'SlackChannels', { serviceToken: provider, resourceType: 'Custom::DpcSlackChannels', properties: { pipeline: p.name, channels } });
    }
  }
}

// ---------------------------------------------------------------------------------------

function countFiles(dir) {
  let files = 0;
  let bytes = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const inner = countFiles(full);
      files += inner.files;
      bytes += inner.bytes;
    } else {
      files += 1;
      bytes += fs.statSync(full).size;
    }
  }
  return { files, bytes };
}

function peakKiB() {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : null;
}

function main() {
  const a = args(process.argv);
  const org = loadOrganisation(a.org, a.out);
  const loaded = process.hrtime.bigint();
  const app = new cdk.App({ outdir: a.out, analyticsReporting: false });
  new Central(app, org);
  for (const account of org.accounts) new AccountSetup(app, org, account);
  for (const p of org.pipelines) new PipelineStack(app, org, p);
  const built = process.hrtime.bigint();
  const assembly = app.synth();
  const synthesized = process.hrtime.bigint();
  let resources = 0;
  for (const stack of assembly.stacks) resources += Object.keys(stack.template.Resources || {}).length;
  const { files, bytes } = countFiles(a.out);
  console.log('CDK-PEER ' + JSON.stringify({
    pipelines: org.pipelines.length, accounts: org.accounts.length,
    stacks: assembly.stacks.length, resources, files, bytes,
    requireMs: ms(started, required), loadMs: ms(required, loaded), buildMs: ms(loaded, built), synthMs: ms(built, synthesized),
    totalMs: ms(started, synthesized), peakKiB: peakKiB(),
  }));
}

main();
