export interface BaselineActivities {
  noop(step: number): Promise<number>;
}

export const baselineActivities: BaselineActivities = {
  noop: (step) => Promise.resolve(step),
};
