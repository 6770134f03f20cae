/**
 * Which of the emulator's small training families stands in for each Personalize recipe.
 * The recipe catalogue itself (names, recipeType) belongs to the control plane
 * (emulator/control/recipes.ts); this table only says how the data plane trains and answers.
 */
export type Family = "popularity" | "trending" | "related" | "user" | "ranking";

/** The runtime call a family answers, as the service's recipeType names it. */
export type RecipeType =
  "USER_PERSONALIZATION" | "POPULAR_ITEMS" | "RELATED_ITEMS" | "PERSONALIZED_RANKING";

const FAMILIES: Record<string, Family> = {
  "aws-popularity-count": "popularity",
  "aws-trending-now": "trending",
  "aws-sims": "related",
  "aws-similar-items": "related",
  "aws-user-personalization": "user",
  "aws-user-personalization-v2": "user",
  "aws-hrnn": "user",
  "aws-hrnn-metadata": "user",
  "aws-hrnn-coldstart": "user",
  "aws-personalized-ranking": "ranking",
  "aws-personalized-ranking-v2": "ranking",
};

export const SUPPORTED_RECIPES: readonly string[] = Object.keys(FAMILIES);

/** `arn:aws:personalize:::recipe/aws-sims` -> `aws-sims`. */
export function recipeId(recipeArn: string): string {
  const slash = recipeArn.lastIndexOf("/");
  return slash >= 0 ? recipeArn.slice(slash + 1) : recipeArn;
}

export function familyOf(recipeArn: string): Family | undefined {
  return FAMILIES[recipeId(recipeArn)];
}

export function recipeTypeOf(family: Family): RecipeType {
  switch (family) {
    case "popularity":
    case "trending":
      return "POPULAR_ITEMS";
    case "related":
      return "RELATED_ITEMS";
    case "user":
      return "USER_PERSONALIZATION";
    case "ranking":
      return "PERSONALIZED_RANKING";
  }
}

/**
 * Recipes whose solutions accept trainingMode UPDATE
 * (https://docs.aws.amazon.com/personalize/latest/dg/API_CreateSolutionVersion.html).
 */
export function supportsUpdate(family: Family): boolean {
  return family === "user";
}
