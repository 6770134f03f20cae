import * as pulumi from "@pulumi/pulumi";
import { Campaign } from "../providers/campaign";
import { Dataset } from "../providers/dataset";
import { DatasetGroup } from "../providers/datasetGroup";
import { DatasetImportJob } from "../providers/datasetImportJob";
import { QualityGate } from "../providers/qualityGate";
import { Schema } from "../providers/schema";
import { Solution } from "../providers/solution";
import { SolutionVersion } from "../providers/solutionVersion";
import { personalizeArn, previewableArn } from "./arns";
import { StackConfig } from "./config";
import type { PersonalizeSource } from "./policies";

export interface PersonalizePipelineArgs {
  readonly config: StackConfig;
  /** The Avro schema text of the interactions dataset. */
  readonly schema: string;
  /** `s3://bucket/transformed/<file>` */
  readonly dataLocation: pulumi.Input<string>;
  readonly roleArn: pulumi.Input<string>;
  /** sha256 of the data file: new data means a new import job, hence a new solution version. */
  readonly dataHash: string;
  /** Resources the import job needs but takes no input from (bucket and role policies). */
  readonly importAfter?: pulumi.Resource[];
  /** The account, region and partition the resources are created in: their ARNs carry them. */
  readonly scope: pulumi.Input<PersonalizeSource>;
}

/**
 * Exercise 2 of the workshop as one component: dataset group -> schema -> interactions
 * dataset -> import job -> solution -> solution version -> quality gate -> campaign.
 *
 * Roll-forward: the import job's `dataHash` makes changed data a new job; the solution
 * version lists the job's ARN in `trainingInputs`, so it trains anew; the quality gate
 * approves the new version if its metrics clear the bar (else the up fails and the gate keeps
 * the version it approved before); the campaign takes the approved version ARN in place
 * (UpdateCampaign) and keeps serving throughout.
 *
 * Each resource hands its dependents an ARN a preview can know (see `previewableArn`), so a
 * preview shows the same creates, updates and replacements as the `up` that follows. Only a
 * new solution version's ARN cannot be known before the service makes it up.
 */
export class PersonalizePipeline extends pulumi.ComponentResource {
  declare readonly datasetGroupArn: pulumi.Output<string>;
  declare readonly schemaArn: pulumi.Output<string>;
  declare readonly datasetArn: pulumi.Output<string>;
  declare readonly datasetImportJobArn: pulumi.Output<string>;
  declare readonly solutionArn: pulumi.Output<string>;
  declare readonly solutionVersionArn: pulumi.Output<string>;
  declare readonly campaignArn: pulumi.Output<string>;
  declare readonly campaignName: pulumi.Output<string>;

  constructor(name: string, args: PersonalizePipelineArgs, opts?: pulumi.ComponentResourceOptions) {
    super("personalize:workshop:PersonalizePipeline", name, {}, opts);
    const { config, schema, dataLocation, roleArn, dataHash, importAfter = [], scope } = args;
    const { names, tags } = config;
    // Every Personalize resource talks to the same place: AWS in the stack's region, or the
    // emulator when an endpoint is set.
    const where = {
      region: config.region,
      ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    };
    const parent = { parent: this };
    const arnOf = (path: pulumi.Input<string>) =>
      pulumi.all([scope, path]).apply(([where, p]) => personalizeArn(where, p));

    const datasetGroup = new DatasetGroup(
      `${name}-dataset-group`,
      { ...where, name: names.datasetGroup, tags },
      parent,
    );
    const interactionsSchema = new Schema(
      `${name}-interactions-schema`,
      { ...where, name: names.schema, schema },
      parent,
    );
    const datasetGroupArn = previewableArn(
      datasetGroup,
      arnOf(`dataset-group/${names.datasetGroup}`),
    );
    const dataset = new Dataset(
      `${name}-interactions`,
      {
        ...where,
        name: names.dataset,
        datasetGroupArn: datasetGroupArn,
        datasetType: "INTERACTIONS",
        schemaArn: previewableArn(interactionsSchema, arnOf(`schema/${names.schema}`)),
        tags,
      },
      parent,
    );
    const importJob = new DatasetImportJob(
      `${name}-import`,
      {
        ...where,
        jobName: names.importJob,
        // The dataset's ARN is its group's name and type, not its own name.
        datasetArn: previewableArn(dataset, arnOf(`dataset/${names.datasetGroup}/INTERACTIONS`)),
        dataLocation,
        roleArn,
        importMode: "FULL",
        dataHash,
        tags,
      },
      { parent: this, dependsOn: importAfter },
    );
    const solution = new Solution(
      `${name}-solution`,
      {
        ...where,
        name: names.solution,
        datasetGroupArn: datasetGroupArn,
        recipeArn: config.recipeArn,
        performHPO: config.performHPO,
        // Stated even when false: the service's own default is true, which bills training
        // hours every week (https://docs.aws.amazon.com/personalize/latest/dg/API_CreateSolution.html).
        performAutoTraining: config.performAutoTraining,
        ...(config.eventType === undefined ? {} : { eventType: config.eventType }),
        ...(config.autoTrainingSchedule === undefined
          ? {}
          : {
              solutionConfig: {
                autoTrainingConfig: { schedulingExpression: config.autoTrainingSchedule },
              },
            }),
        tags,
      },
      parent,
    );
    const solutionArn = previewableArn(solution, arnOf(`solution/${names.solution}`));
    // What the version is trained from: a change of any of these trains a new version.
    const trainedFrom = {
      solutionArn,
      name: names.solutionVersion,
      trainingMode: "FULL" as const,
      // The job's physical name is chosen in check, so a preview knows it too.
      trainingInputs: [
        previewableArn(
          importJob,
          arnOf(pulumi.interpolate`dataset-import-job/${importJob.physicalJobName}`),
        ),
      ],
    };
    const solutionVersion = new SolutionVersion(
      `${name}-version`,
      { ...where, ...trainedFrom, tags },
      parent,
    );
    // A failed gate keeps its approved version, so the campaign is left as it is.
    const gateConfig = config.qualityGate;
    const gate = gateConfig.enabled
      ? new QualityGate(
          `${name}-quality-gate`,
          {
            ...where,
            solutionVersionArn: solutionVersion.arn,
            // A preview knows it: a version updated in place (tags) is no new candidate.
            trainedFrom,
            // A new solution means a new campaign, which serves nothing yet: the gate starts afresh.
            solutionArn,
            metric: gateConfig.metric,
            minimum: gateConfig.minimum,
            maxDrop: gateConfig.maxDrop,
            ...(gateConfig.approve === undefined ? {} : { approve: gateConfig.approve }),
          },
          parent,
        )
      : undefined;
    const campaign = new Campaign(
      `${name}-campaign`,
      {
        ...where,
        name: names.campaign,
        // Personalize refuses DeleteSolution while a campaign deploys it: with the solution's
        // ARN as an input, replacing the solution replaces its campaign first.
        solutionArn,
        solutionVersionArn: gate ? gate.approvedVersionArn : solutionVersion.arn,
        minProvisionedTPS: config.minProvisionedTPS,
        tags,
      },
      parent,
    );

    this.datasetGroupArn = datasetGroup.arn;
    this.schemaArn = interactionsSchema.arn;
    this.datasetArn = dataset.arn;
    this.datasetImportJobArn = importJob.arn;
    this.solutionArn = solution.arn;
    this.solutionVersionArn = solutionVersion.arn;
    this.campaignArn = campaign.arn;
    this.campaignName = pulumi.output(names.campaign);
    this.registerOutputs({
      datasetGroupArn: this.datasetGroupArn,
      schemaArn: this.schemaArn,
      datasetArn: this.datasetArn,
      datasetImportJobArn: this.datasetImportJobArn,
      solutionArn: this.solutionArn,
      solutionVersionArn: this.solutionVersionArn,
      campaignArn: this.campaignArn,
      campaignName: this.campaignName,
    });
  }
}
