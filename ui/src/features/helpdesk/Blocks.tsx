import type { ReactNode } from "react";

/** A comment's rich-text blocks (libs/mail/README.md "Rich-text blocks") rendered as
 * React elements: never as HTML, so nothing from an email can run here. Images show
 * their alt text (remote images are not fetched). */
type Node = { type?: string; [key: string]: unknown };

function nodes(value: unknown): Node[] {
  return Array.isArray(value) ? (value.filter((n) => typeof n === "object" && n !== null) as Node[]) : [];
}

function safeHref(href: unknown): string | undefined {
  return typeof href === "string" && /^(https?:|mailto:)/i.test(href) ? href : undefined;
}

function inline(node: Node, key: number): ReactNode {
  if (node.type === "lineBreak") return <br key={key} />;
  if (node.type === "link")
    return (
      <a key={key} href={safeHref(node.href)} rel="noopener noreferrer nofollow" target="_blank">
        {nodes(node.children).map(inline)}
      </a>
    );
  let out: ReactNode = String(node.text ?? "");
  const marks = Array.isArray(node.marks) ? (node.marks as string[]) : [];
  if (marks.includes("code")) out = <code>{out}</code>;
  if (marks.includes("bold")) out = <strong>{out}</strong>;
  if (marks.includes("italic")) out = <em>{out}</em>;
  if (marks.includes("underline")) out = <u>{out}</u>;
  if (marks.includes("strike")) out = <s>{out}</s>;
  return <span key={key}>{out}</span>;
}

function block(node: Node, key: number): ReactNode {
  switch (node.type) {
    case "heading": {
      const level = Math.min(6, Math.max(3, Number(node.level) + 2));
      const Tag = `h${level}` as "h3";
      return <Tag key={key}>{nodes(node.children).map(inline)}</Tag>;
    }
    case "list": {
      const items = Array.isArray(node.items) ? (node.items as unknown[]) : [];
      const children = items.map((item, i) => <li key={i}>{nodes(item).map(block)}</li>);
      return node.ordered ? <ol key={key}>{children}</ol> : <ul key={key}>{children}</ul>;
    }
    case "quote":
      return <blockquote key={key}>{nodes(node.blocks).map(block)}</blockquote>;
    case "code":
      return (
        <pre key={key}>
          <code>{String(node.text ?? "")}</code>
        </pre>
      );
    case "image":
      return (
        <p key={key} className="muted">
          [image{node.alt ? `: ${String(node.alt)}` : ""}]
        </p>
      );
    case "divider":
      return <hr key={key} />;
    default:
      return <p key={key}>{nodes(node.children).map(inline)}</p>;
  }
}

export function Blocks({ blocks }: { blocks: unknown }) {
  return <div className="blocks">{nodes(blocks).map(block)}</div>;
}
