// What an emulator still holds, for the runs that promise to leave nothing behind (the offline
// tests, `npm run flaky-deploys`): every Personalize resource (by ARN) and every S3 bucket and
// object, read back with the real SDK clients.
import {
  ListCampaignsCommand,
  ListDatasetGroupsCommand,
  ListDatasetImportJobsCommand,
  ListDatasetsCommand,
  ListSchemasCommand,
  ListSolutionsCommand,
  ListSolutionVersionsCommand,
  PersonalizeClient,
} from "@aws-sdk/client-personalize";
import { ListBucketsCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";

/** Everything left on the emulator; an empty list when nothing is. */
export async function leftovers({
  personalize,
  s3,
}: {
  personalize: PersonalizeClient;
  s3: S3Client;
}): Promise<string[]> {
  const [groups, schemas, datasets, jobs, solutions, versions, campaigns, buckets] =
    await Promise.all([
      personalize.send(new ListDatasetGroupsCommand({})),
      personalize.send(new ListSchemasCommand({})),
      personalize.send(new ListDatasetsCommand({})),
      personalize.send(new ListDatasetImportJobsCommand({})),
      personalize.send(new ListSolutionsCommand({})),
      personalize.send(new ListSolutionVersionsCommand({})),
      personalize.send(new ListCampaignsCommand({})),
      s3.send(new ListBucketsCommand({})),
    ]);
  const left = [
    ...(groups.datasetGroups ?? []).map((x) => x.datasetGroupArn),
    ...(schemas.schemas ?? []).map((x) => x.schemaArn),
    ...(datasets.datasets ?? []).map((x) => x.datasetArn),
    ...(jobs.datasetImportJobs ?? []).map((x) => x.datasetImportJobArn),
    ...(solutions.solutions ?? []).map((x) => x.solutionArn),
    ...(versions.solutionVersions ?? []).map((x) => x.solutionVersionArn),
    ...(campaigns.campaigns ?? []).map((x) => x.campaignArn),
  ].map(String);
  for (const bucket of buckets.Buckets ?? []) {
    left.push(`s3://${bucket.Name}`);
    const objects = await s3.send(new ListObjectsV2Command({ Bucket: bucket.Name }));
    for (const o of objects.Contents ?? []) left.push(`s3://${bucket.Name}/${o.Key}`);
  }
  return left;
}
