/**
 * The recipe catalogue served by DescribeRecipe / ListRecipes
 * (https://docs.aws.amazon.com/personalize/latest/dg/working-with-predefined-recipes.html),
 * with the real global ARNs, and the rules solutions and versions read from it (legacy
 * recipes, UPDATE training). Recipes are global: every region lists the same ones.
 */
import { notFound } from "../errors";
import type { Handlers } from "./model";
import { paginate } from "./pagination";
import { compact } from "./shapes";

export type RecipeType =
  | "USER_PERSONALIZATION"
  | "POPULAR_ITEMS"
  | "PERSONALIZED_RANKING"
  | "RELATED_ITEMS"
  | "PERSONALIZED_ACTIONS"
  | "USER_SEGMENTATION";

export interface Recipe {
  name: string;
  recipeArn: string;
  algorithmArn: string;
  featureTransformationArn: string;
  description: string;
  recipeType: RecipeType;
  status: "ACTIVE";
  /** Legacy recipes (the HRNN family) are still accepted, as the workshop uses `aws-hrnn`. */
  legacy: boolean;
  /** Whether trainingMode UPDATE is allowed for solutions using this recipe. */
  supportsUpdateTraining: boolean;
}

const FEATURES = "arn:aws:personalize:::feature-transformation/";

function recipe(
  id: string,
  name: string,
  recipeType: RecipeType,
  description: string,
  extra: { legacy?: boolean; supportsUpdateTraining?: boolean; features?: string } = {},
): Recipe {
  return {
    name,
    recipeArn: `arn:aws:personalize:::recipe/${id}`,
    algorithmArn: `arn:aws:personalize:::algorithm/${id}`,
    featureTransformationArn: FEATURES + (extra.features ?? "JSON-percentile-filtering"),
    description,
    recipeType,
    status: "ACTIVE",
    legacy: extra.legacy ?? false,
    supportsUpdateTraining: extra.supportsUpdateTraining ?? false,
  };
}

export const RECIPES: readonly Recipe[] = [
  recipe(
    "aws-user-personalization-v2",
    "aws-user-personalization-v2",
    "USER_PERSONALIZATION",
    "Predicts the items a user will interact with, using a transformer architecture; returns reasons.",
  ),
  recipe(
    "aws-user-personalization",
    "aws-user-personalization",
    "USER_PERSONALIZATION",
    "Predicts the items a user will interact with and explores new items; supports incremental (UPDATE) training.",
    { supportsUpdateTraining: true },
  ),
  recipe(
    "aws-trending-now",
    "aws-trending-now",
    "POPULAR_ITEMS",
    "Recommends the items whose popularity grows fastest.",
    { features: "trending-now" },
  ),
  recipe(
    "aws-popularity-count",
    "aws-popularity-count",
    "POPULAR_ITEMS",
    "Recommends the items with the most interactions.",
    { features: "popularity-count" },
  ),
  recipe(
    "aws-personalized-ranking-v2",
    "aws-personalized-ranking-v2",
    "PERSONALIZED_RANKING",
    "Ranks a given list of items for a user, using a transformer architecture.",
  ),
  recipe(
    "aws-personalized-ranking",
    "aws-personalized-ranking",
    "PERSONALIZED_RANKING",
    "Ranks a given list of items for a user.",
  ),
  recipe(
    "aws-semantic-similarity",
    "aws-semantic-similarity",
    "RELATED_ITEMS",
    "Recommends items whose text is semantically similar to a given item.",
    { features: "semantic-similarity" },
  ),
  recipe(
    "aws-similar-items",
    "aws-similar-items",
    "RELATED_ITEMS",
    "Recommends items similar to a given item, from interactions and item metadata.",
    { features: "similar-items" },
  ),
  recipe(
    "aws-sims",
    "aws-sims",
    "RELATED_ITEMS",
    "Recommends items that are often interacted with together with a given item (item-to-item collaborative filtering).",
    { features: "sims" },
  ),
  recipe(
    "aws-next-best-action",
    "aws-next-best-action",
    "PERSONALIZED_ACTIONS",
    "Recommends the actions a user is most likely to take.",
    { features: "next-best-action" },
  ),
  recipe(
    "aws-item-affinity",
    "aws-item-affinity",
    "USER_SEGMENTATION",
    "Finds the users most likely to interact with given items (batch segment jobs only).",
    { features: "item-affinity" },
  ),
  recipe(
    "aws-item-attribute-affinity",
    "aws-item-attribute-affinity",
    "USER_SEGMENTATION",
    "Finds the users most likely to interact with items that have given attribute values (batch segment jobs only).",
    { features: "item-attribute-affinity" },
  ),
  recipe(
    "aws-hrnn",
    "aws-hrnn",
    "USER_PERSONALIZATION",
    "Legacy: predicts the items a user will interact with, using a hierarchical recurrent neural network over the interaction history.",
    { legacy: true },
  ),
  recipe(
    "aws-hrnn-metadata",
    "aws-hrnn-metadata",
    "USER_PERSONALIZATION",
    "Legacy: HRNN that also uses user and item metadata.",
    { legacy: true },
  ),
  recipe(
    "aws-hrnn-coldstart",
    "aws-hrnn-coldstart",
    "USER_PERSONALIZATION",
    "Legacy: HRNN-Metadata with exploration of new (cold) items; supports incremental (UPDATE) training.",
    { legacy: true, supportsUpdateTraining: true },
  ),
];

const BY_ARN = new Map(RECIPES.map((r) => [r.recipeArn, r]));

/** The catalogue entry for a recipe ARN, or undefined when the service has no such recipe. */
export function recipeByArn(arn: string): Recipe | undefined {
  return BY_ARN.get(arn);
}

/** The catalogue's date (the service reports when each recipe was published). */
const RECIPE_DATE = Date.UTC(2019, 5, 10);
const LISTED = RECIPES.map((r) => ({ ...r, arn: r.recipeArn, created: RECIPE_DATE }));

export const recipeOperations: Handlers = {
  DescribeRecipe: (_model, { recipeArn }) => {
    const recipe = recipeByArn(recipeArn);
    if (!recipe) throw notFound(`Recipe ${recipeArn} does not exist.`);
    const { name, algorithmArn, featureTransformationArn, status, description, recipeType } =
      recipe;
    return {
      recipe: {
        name,
        recipeArn,
        algorithmArn,
        featureTransformationArn,
        status,
        description,
        recipeType,
        creationDateTime: RECIPE_DATE / 1000,
        lastUpdatedDateTime: RECIPE_DATE / 1000,
      },
    };
  },
  ListRecipes: (_model, input) => {
    // Domain use-case recipes belong to recommenders, which this emulator does not serve.
    const page = paginate(input.domain ? [] : LISTED, input, "recipe");
    return compact({
      recipes: page.items.map(({ name, recipeArn, status }) => ({
        name,
        recipeArn,
        status,
        creationDateTime: RECIPE_DATE / 1000,
        lastUpdatedDateTime: RECIPE_DATE / 1000,
      })),
      nextToken: page.nextToken,
    });
  },
};
