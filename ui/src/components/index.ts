export { Badge, type Tone } from "./Badge";
export { Button, type ButtonProps } from "./Button";
export { EmptyState } from "./EmptyState";
export { Modal } from "./Modal";
export { PageHeader } from "./PageHeader";
export { ProblemAlert } from "./ProblemAlert";
export { Spinner } from "./Spinner";
export { type TabItem, Tabs } from "./Tabs";
export { Icon } from "./Icon";
