export { DeadLettersPage } from "./DeadLettersPage";
