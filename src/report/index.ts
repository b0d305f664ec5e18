/** Results and reports of a study: pure functions shared by the CLI, the SDK and the Lambda's Finalize step. */
export * from './rows';
export * from './format';
export { renderHtmlReport, hyperParameterAxis, type HtmlReportOptions } from './html';
export { studyRecommendation, describeRecommendation, type StudyRecommendation } from './recommend';
