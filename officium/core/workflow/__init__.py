"""The document routing (workflow) engine shared by 发文, 收文, 签报, 休假, 督办 and every module with approvals."""
